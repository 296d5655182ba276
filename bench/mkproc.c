// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mkproc DIR NPROC NFD: a fake /proc for make bench, as bench/mktree.sh makes
 * the big sysfs tree: NPROC processes (PIDs 1000..), each with a comm, NFD
 * fds (a desktop's mix: /dev/null, a pty, sockets, pipes, anon inodes, files,
 * a few device nodes that no benched function has) and a short maps file.
 * Nothing in it holds the functions the bench seizes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
	fprintf(stderr, "mkproc: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		die("cannot write", path);
}

int main(int argc, char **argv)
{
	static const char *const comms[] = { "systemd", "Xwayland", "pipewire",	       "firefox",
					     "bash",	"sshd",	    "qemu-system-x86", "udevd" };
	char path[4096], target[256];
	int nproc, nfd;

	if (argc != 4 || (nproc = atoi(argv[2])) <= 0 || (nfd = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: mkproc DIR NPROC NFD\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST)
		die("cannot create", argv[1]);
	for (int p = 0; p < nproc; p++) {
		int pid = 1000 + p;

		snprintf(path, sizeof(path), "%s/%d", argv[1], pid);
		if (mkdir(path, 0755) < 0)
			die("cannot create", path);
		snprintf(path, sizeof(path), "%s/%d/comm", argv[1], pid);
		snprintf(target, sizeof(target), "%s\n", comms[p % 8]);
		put(path, target);
		snprintf(path, sizeof(path), "%s/%d/maps", argv[1], pid);
		put(path,
		    "55d0c0000000-55d0c0021000 r--p 00000000 08:01 4242  /usr/bin/true\n"
		    "7f0c2a000000-7f0c2a100000 rw-s 00000000 00:05 1042  /dev/shm/pulse-shm-1\n"
		    "7f0c2b000000-7f0c2b021000 r-xp 00000000 08:01 4243  /usr/lib/libc.so.6\n"
		    "7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0     [stack]\n");
		snprintf(path, sizeof(path), "%s/%d/fd", argv[1], pid);
		if (mkdir(path, 0755) < 0)
			die("cannot create", path);
		for (int f = 0; f < nfd; f++) {
			switch (f % 10) {
			case 0:
				snprintf(target, sizeof(target), "/dev/null");
				break;
			case 1:
				snprintf(target, sizeof(target), "/dev/pts/%d", p % 64);
				break;
			case 2:
				snprintf(target, sizeof(target), "socket:[%d]",
					 100000 + p * nfd + f);
				break;
			case 3:
				snprintf(target, sizeof(target), "pipe:[%d]", 200000 + p * nfd + f);
				break;
			case 4:
				snprintf(target, sizeof(target), "anon_inode:[eventfd]");
				break;
			case 5:
				snprintf(target, sizeof(target), "/home/user/.cache/file-%d", f);
				break;
			case 6:
				snprintf(target, sizeof(target), "/dev/urandom");
				break;
			case 7:
				snprintf(target, sizeof(target), "/usr/lib/locale/locale-archive");
				break;
			case 8:
				snprintf(target, sizeof(target), "/dev/input/event%d", p % 16);
				break;
			default:
				snprintf(target, sizeof(target), "socket:[%d]",
					 300000 + p * nfd + f);
				break;
			}
			snprintf(path, sizeof(path), "%s/%d/fd/%d", argv[1], pid, f);
			if (symlink(target, path) < 0)
				die("cannot create", path);
		}
	}
	return 0;
}
