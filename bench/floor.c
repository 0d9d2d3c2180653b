/*
 * bench/floor.c: the FastCGI floor of `make bench`. A libfcgi responder
 * that does nothing but answer every request with one fixed response: the
 * header block in FLOOR_HEAD followed by the bytes of FLOOR_FILE, both read
 * once at start. The bench writes FLOOR_HEAD with the headers the service
 * sends for the same file (status, ETag, Last-Modified, ...), so the
 * difference between this responder and the service's raw GET is the
 * service's own work, and the difference between this responder and a
 * static file is the cost of FastCGI itself.
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file into a fresh heap block; NULL on any failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = path ? fopen(path, "rb") : NULL;
	if (f == NULL)
		return NULL;
	char *data = NULL;
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			char *grown = realloc(data, cap + 65536);
			if (grown == NULL)
				break;
			data = grown;
			cap += 65536;
		}
		size_t n = fread(data + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0) {
			if (ferror(f)) {
				free(data);
				data = NULL;
			}
			break;
		}
	}
	fclose(f);
	return data;
}

int
main(void)
{
	size_t head_len, body_len;
	char *head = slurp(getenv("FLOOR_HEAD"), &head_len);
	char *body = slurp(getenv("FLOOR_FILE"), &body_len);
	if (head == NULL || body == NULL) {
		fprintf(stderr, "floor: cannot read FLOOR_HEAD or FLOOR_FILE\n");
		return 1;
	}
	if (FCGX_Init() != 0)
		return 1;
	int hlen = (int)head_len, blen = (int)body_len;
	FCGX_Request req;
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		/* Header block, then body: the same two writes the service makes. */
		if (FCGX_PutStr(head, hlen, req.out) != hlen ||
		    FCGX_PutStr(body, blen, req.out) != blen)
			fprintf(stderr, "floor: write failed\n");
		FCGX_Finish_r(&req);
	}
	return 0;
}
