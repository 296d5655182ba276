/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * abtime: time two commands alternately (A B A B ...), after warm-up runs,
 * and print the median wall and CPU time of each and the median of the
 * per-round ratios A/B. Commands are exec'd directly (no shell in between:
 * a shell would add the same fork+exec to both and pull the ratio towards 1),
 * with stdin, stdout and stderr on /dev/null. A run that exits non-zero
 * aborts the benchmark.
 *
 * usage: abtime RUNS WARMUP LABEL_A 'CMD A' LABEL_B 'CMD B'
 *   a CMD is split at blanks (no quoting: benchmark commands need none).
 * Output, one line per command and one for the ratio:
 *   LABEL_A wall_ms=MEDIAN min=MIN max=MAX cpu_ms=MEDIAN rss_kb=MEDIAN
 * (rss_kb: the peak resident set of the run, wait4()'s ru_maxrss)
 *   LABEL_B ...
 *   ratio A/B wall=MEDIAN(min..max) cpu=MEDIAN runs=RUNS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **split(const char *s)
{
	char *copy = strdup(s), *save = NULL, *w;
	char **v = calloc(strlen(s) / 2 + 2, sizeof(*v));
	size_t n = 0;

	if (!copy || !v) {
		perror("abtime");
		exit(2);
	}
	for (w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		v[n++] = w;
	if (!n) {
		fprintf(stderr, "abtime: empty command\n");
		exit(2);
	}
	return v;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run ARGV once; returns the wall time, sets *cpu (user+sys) and *rss (peak RSS, KiB). */
static double run(const char *label, char **argv, double *cpu, double *rss)
{
	struct rusage ru;
	double t0, t1;
	int status;
	pid_t pid;

	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("abtime: fork");
		exit(2);
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd < 0)
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("abtime: wait4");
			exit(2);
		}
	t1 = now_ms();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "abtime: %s (%s ...) failed: status 0x%x\n", label, argv[0], status);
		exit(1);
	}
	*cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
	       ru.ru_stime.tv_usec / 1e3;
	*rss = ru.ru_maxrss;
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double *wa, *wb, *ca, *cb, *rw, *rc, *sa, *sb;
	char **a, **b;
	int runs, warm;

	if (argc != 7) {
		fprintf(stderr, "usage: abtime RUNS WARMUP LABEL_A 'CMD A' LABEL_B 'CMD B'\n");
		return 2;
	}
	runs = atoi(argv[1]);
	warm = atoi(argv[2]);
	if (runs < 1 || warm < 0) {
		fprintf(stderr, "abtime: bad RUNS or WARMUP\n");
		return 2;
	}
	a = split(argv[4]);
	b = split(argv[6]);
	wa = calloc(runs, sizeof(double));
	wb = calloc(runs, sizeof(double));
	ca = calloc(runs, sizeof(double));
	cb = calloc(runs, sizeof(double));
	rw = calloc(runs, sizeof(double));
	rc = calloc(runs, sizeof(double));
	sa = calloc(runs, sizeof(double));
	sb = calloc(runs, sizeof(double));
	if (!wa || !wb || !ca || !cb || !rw || !rc || !sa || !sb)
		return 2;
	for (int i = 0; i < warm; i++) {
		double c, m;

		run(argv[3], a, &c, &m);
		run(argv[5], b, &c, &m);
	}
	for (int i = 0; i < runs; i++) {
		/* Alternate which goes first, so that neither always follows the other. */
		if (i % 2 == 0) {
			wa[i] = run(argv[3], a, &ca[i], &sa[i]);
			wb[i] = run(argv[5], b, &cb[i], &sb[i]);
		} else {
			wb[i] = run(argv[5], b, &cb[i], &sb[i]);
			wa[i] = run(argv[3], a, &ca[i], &sa[i]);
		}
		rw[i] = wa[i] / wb[i];
		rc[i] = cb[i] > 0 ? ca[i] / cb[i] : 0;
	}
	{
		double mwa = median(wa, runs), mwb = median(wb, runs);
		double mca = median(ca, runs), mcb = median(cb, runs);
		double mrw = median(rw, runs), mrc = median(rc, runs);
		double msa = median(sa, runs), msb = median(sb, runs);

		printf("%s wall_ms=%.2f min=%.2f max=%.2f cpu_ms=%.2f rss_kb=%.0f\n", argv[3], mwa,
		       wa[0], wa[runs - 1], mca, msa);
		printf("%s wall_ms=%.2f min=%.2f max=%.2f cpu_ms=%.2f rss_kb=%.0f\n", argv[5], mwb,
		       wb[0], wb[runs - 1], mcb, msb);
		printf("ratio %s/%s wall=%.4f(%.4f..%.4f) cpu=%.4f runs=%d\n", argv[3], argv[5], mrw,
		       rw[0], rw[runs - 1], mrc, runs);
	}
	return 0;
}
