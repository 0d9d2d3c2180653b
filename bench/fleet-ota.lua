-- bench/fleet-ota.lua: `make bench`'s 50 devices updating at once. Every
-- request is the next 4 KiB Range chunk of one device's image on its
-- device route (/esp32/firmware/<mac>.bin), the devices taken in turn, so
-- each device reads its whole image in order, the way esp_https_ota with
-- partial downloads does, and all of them at once.
--   BENCH_FW_SIZE   the image's length in bytes
--   BENCH_FW_MACS   devices (02-00-00-fe-00-00 onwards; 50)
-- Prints "FLEET chunks seconds errors p50 p99 images" (latencies in
-- microseconds; images: whole images asked for).

local size = tonumber(os.getenv("BENCH_FW_SIZE"))
local macs = tonumber(os.getenv("BENCH_FW_MACS") or "50")
local chunk = 4096
local threads = {}

setup = function(thread)
	table.insert(threads, thread)
end

init = function()
	offset = {}
	for d = 0, macs - 1 do
		offset[d] = 0
	end
	n = 0
	images = 0
end

request = function()
	local d = n % macs
	n = n + 1
	local first = offset[d]
	local last = math.min(first + chunk, size) - 1
	if last == size - 1 then
		offset[d] = 0
		images = images + 1
	else
		offset[d] = last + 1
	end
	return wrk.format("GET", string.format("/esp32/firmware/02-00-00-fe-00-%02x.bin", d),
		{ ["Range"] = string.format("bytes=%d-%d", first, last) })
end

done = function(summary, latency, requests)
	local e = summary.errors
	local errors = e.connect + e.read + e.write + e.status + e.timeout
	local whole = 0
	for _, t in ipairs(threads) do
		whole = whole + t:get("images")
	end
	io.write(string.format("FLEET %d %.6f %d %d %d %d\n", summary.requests, summary.duration / 1e6,
		errors, latency:percentile(50), latency:percentile(99), whole))
end
