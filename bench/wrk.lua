-- bench/wrk.lua: the one wrk script every row of `make bench` uses, so
-- every row runs with the same client settings. The request is fixed
-- before the run starts (no per-request Lua, which would slow the client),
-- but for a body with a sequence number:
--   BENCH_METHOD   GET (default) or PUT
--   BENCH_BODY     file whose bytes are the request body (PUT); where they
--                  hold the marker @SEQ@, each request puts a number of its
--                  own there (1, 2, 3, ...), so that every PUT changes the
--                  file (a PUT of the bytes already stored writes nothing)
--   BENCH_HEADER   one extra "Name: value" request header
-- At the end it prints one line "BENCH requests seconds errors p50 p99"
-- (latencies in microseconds) and, when BENCH_CDF names a file, writes the
-- latency distribution there as "microseconds fraction" lines for gnuplot.

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
	wrk.method = method
end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
	local f = assert(io.open(body, "rb"))
	wrk.body = f:read("*a")
	f:close()
	wrk.headers["Content-Type"] = "application/json"
	local head, tail = wrk.body:match("^(.-)@SEQ@(.*)$")
	if head then
		local seq = 0
		request = function()
			seq = seq + 1
			return wrk.format(nil, nil, nil, head .. seq .. tail)
		end
	end
end
local header = os.getenv("BENCH_HEADER")
if header and header ~= "" then
	local name, value = header:match("^([^:]+):%s*(.*)$")
	wrk.headers[name] = value
end

done = function(summary, latency, requests)
	local e = summary.errors
	local errors = e.connect + e.read + e.write + e.status + e.timeout
	io.write(string.format("BENCH %d %.6f %d %d %d\n", summary.requests,
		summary.duration / 1e6, errors, latency:percentile(50), latency:percentile(99)))
	local cdf = os.getenv("BENCH_CDF")
	if cdf and cdf ~= "" then
		local f = assert(io.open(cdf, "w"))
		local p = 0.5
		while p < 99.995 do
			f:write(string.format("%d %.5f\n", latency:percentile(p), p / 100))
			if p < 90 then p = p + 0.5 elseif p < 99 then p = p + 0.1 else p = p + 0.01 end
		end
		f:write(string.format("%d 1\n", latency.max))
		f:close()
	end
end
