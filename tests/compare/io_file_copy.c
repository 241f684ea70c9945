/* tests/compare/io_file_copy.c — regular-file I/O from many threads (issue 10,
 * acceptance 9). Regular files cannot be polled: weft must run these calls
 * with the syscall hand-off (the P goes on while the kernel works).
 *
 * The main thread writes a FILE_SIZE file of known bytes in /tmp; THREADS
 * threads then copy it, CHUNK bytes at a time (each takes the next chunk
 * number from a shared counter), into a second file with positioned I/O,
 * cycling through pread/pwrite, preadv/pwritev (two iovecs) and
 * preadv2/pwritev2 (flags 0); each thread ends with fdatasync. The copy must
 * have the same size and FNV-1a checksum as the bytes written, which is
 * printed. Both files are unlinked as soon as they are made.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "io_common.h"

#define FILE_SIZE (64L * 1024 * 1024)
#define CHUNK (64 * 1024)
#define THREADS 64

static int src, dst;
static atomic_long next_chunk;

static void* copier(void* arg) {
  unsigned char* buf = malloc(CHUNK);
  SYNC_CHECK(buf != NULL, "malloc");
  long c;
  while ((c = atomic_fetch_add(&next_chunk, 1)) < FILE_SIZE / CHUNK) {
    off_t off = (off_t)c * CHUNK;
    struct iovec iov[2] = {{buf, CHUNK / 3}, {buf + CHUNK / 3, CHUNK - CHUNK / 3}};
    ssize_t r, w;
    switch (c % 3) {
      case 0:
        r = pread(src, buf, CHUNK, off);
        w = r == CHUNK ? pwrite(dst, buf, CHUNK, off) : -1;
        break;
      case 1:
        r = preadv(src, iov, 2, off);
        w = r == CHUNK ? pwritev(dst, iov, 2, off) : -1;
        break;
      default:
        r = preadv2(src, iov, 2, off, 0);
        w = r == CHUNK ? pwritev2(dst, iov, 2, off, 0) : -1;
        break;
    }
    /* Regular files on a local file system do not return short counts. */
    SYNC_CHECK(r == CHUNK && w == CHUNK, "chunk %ld: read %zd, wrote %zd: %s", c, r, w,
               strerror(errno));
  }
  SYNC_CHECK(fdatasync(dst) == 0, "fdatasync: %s", strerror(errno));
  free(buf);
  return NULL;
}

static int temp_file(char* path) {
  int fd = mkstemp(path);
  SYNC_CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
  unlink(path); /* nothing is left behind, even if the run is killed */
  return fd;
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  char src_path[] = "/tmp/weft-io-copy-src-XXXXXX", dst_path[] = "/tmp/weft-io-copy-dst-XXXXXX";
  src = temp_file(src_path);
  dst = temp_file(dst_path);

  unsigned char* buf = malloc(CHUNK);
  SYNC_CHECK(buf != NULL, "malloc");
  uint64_t want = IO_FNV_INIT;
  for (long off = 0; off < FILE_SIZE; off += CHUNK) {
    io_fill(buf, CHUNK, 9, (uint64_t)off);
    want = io_fnv(want, buf, CHUNK);
    SYNC_CHECK(io_write_all(src, buf, CHUNK) == 0, "write source: %s", strerror(errno));
  }

  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; ++i) sync_start(&t[i], copier, NULL, 64 * 1024);
  for (int i = 0; i < THREADS; ++i) sync_join(t[i]);

  struct stat st;
  SYNC_CHECK(fstat(dst, &st) == 0 && st.st_size == FILE_SIZE, "copy has %ld bytes",
             (long)st.st_size);
  uint64_t got = IO_FNV_INIT;
  SYNC_CHECK(lseek(dst, 0, SEEK_SET) == 0, "lseek");
  for (long off = 0; off < FILE_SIZE; off += CHUNK) {
    SYNC_CHECK(io_read_full(dst, buf, CHUNK) == CHUNK, "read back: %s", strerror(errno));
    got = io_fnv(got, buf, CHUNK);
  }
  SYNC_CHECK(got == want, "copy checksum %016llx, source %016llx", (unsigned long long)got,
             (unsigned long long)want);
  printf("file copy by %d threads: %ld bytes, checksum %016llx, identical\n", THREADS, FILE_SIZE,
         (unsigned long long)got);
  free(buf);
  close(src);
  close(dst);
  return 0;
}
