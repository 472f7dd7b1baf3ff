// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs a libFuzzer target's entry point on each file named on the command
 * line, without the libFuzzer runtime: built with ASan/UBSan, it replays
 * the corpus in `make test`.  Exit status 0 when every input ran.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	uint8_t *buf = NULL;
	long size;
	FILE *f = fopen(path, "rb");
	int err = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	/* Exactly size bytes, so ASan sees a read one past the end. */
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	err = 0;
out:
	if (err)
		fprintf(stderr, "%s: cannot read\n", path);
	free(buf);
	fclose(f);
	return err;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++)
		failed |= run_file(argv[i]) != 0;
	return failed;
}
