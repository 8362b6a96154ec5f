/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * standalone.c: a main() for the fuzz targets when there is no libFuzzer
 * (make check, gcc, valgrind). Every argument is a file or a directory of
 * files; each file is read whole into a buffer of exactly its size (so
 * ASan and valgrind see reads past the end) and handed to
 * LLVMFuzzerTestOneInput() once. A broken invariant aborts.
 */

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot size it\n", path);
        fclose(f);
        return -1;
    }
    /* malloc(0) may give NULL; keep one byte so the pointer is real */
    buf = malloc(n ? (size_t)n : 1);
    if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
        fprintf(stderr, "%s: cannot read it\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

static int replay(const char *path, int *count)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (replay_file(path) != 0) {
            return -1;
        }
        ++*count;
        return 0;
    }
    if (!(d = opendir(path))) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char *sub;
        size_t len;

        if (e->d_name[0] == '.') {
            continue;
        }
        len = strlen(path) + strlen(e->d_name) + 2;
        sub = malloc(len);
        if (!sub) {
            rc = -1;
            break;
        }
        snprintf(sub, len, "%s/%s", path, e->d_name);
        if (replay(sub, count) != 0) {
            rc = -1;
        }
        free(sub);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int i, count = 0, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        if (replay(argv[i], &count) != 0) {
            rc = 1;
        }
    }
    printf("%s: replayed %d inputs\n", argv[0], count);
    return rc;
}
