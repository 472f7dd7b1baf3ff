// SPDX-License-Identifier: GPL-2.0-only
/*
 * Socket calls the Python client cannot make:
 *   netprobe uring-connect ADDR PORT     connect through io_uring
 *   netprobe sendmmsg ADDR PORT N TEXT   N datagrams in one sendmmsg
 * Exit 0 on success, 1 on EPERM, 2 on another error (printed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int to_addr(const char *ip, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

static int result(int err)
{
	if (!err)
		return 0;
	printf("%s\n", err == EPERM ? "EPERM" : strerror(err));
	return err == EPERM ? 1 : 2;
}

static int uring_connect(int fam, struct sockaddr_storage *ss, socklen_t len)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int fd, res;

	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0 || io_uring_queue_init(4, &ring, 0))
		return errno;
	io_uring_prep_connect(io_uring_get_sqe(&ring), fd, (struct sockaddr *)ss, len);
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe))
		return EIO;
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(fd);
	return res < 0 ? -res : 0;
}

static int send_mmsg(int fam, struct sockaddr_storage *ss, socklen_t len, int n, char *text)
{
	struct mmsghdr msgs[64];
	struct iovec iov = { .iov_base = text, .iov_len = strlen(text) };
	int fd = socket(fam, SOCK_DGRAM, 0);

	if (fd < 0 || n < 1 || n > 64)
		return EINVAL;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < n; i++) {
		msgs[i].msg_hdr.msg_name = ss;
		msgs[i].msg_hdr.msg_namelen = len;
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(fd, msgs, (unsigned int)n, 0) < 0)
		return errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam;

	if (argc < 4 || (fam = to_addr(argv[2], argv[3], &ss, &len)) < 0) {
		fprintf(stderr, "usage: netprobe uring-connect|sendmmsg ADDR PORT [N TEXT]\n");
		return 2;
	}
	if (!strcmp(argv[1], "uring-connect"))
		return result(uring_connect(fam, &ss, len));
	if (!strcmp(argv[1], "sendmmsg") && argc == 6)
		return result(send_mmsg(fam, &ss, len, atoi(argv[4]), argv[5]));
	fprintf(stderr, "netprobe: unknown mode %s\n", argv[1]);
	return 2;
}
