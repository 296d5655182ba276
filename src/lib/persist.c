/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --persistent, the way 'qvm-pci attach --persistent' and driverctl keep a
 * choice: seize writes a rule "[persistent BDF]" into an admin policy file,
 * release removes it. The file is rewritten whole: temporary file in the
 * same directory, fsync, rename; another rule in it is kept as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "persist.h"
#include "util.h"

#define PERSIST_FILE_MAX (1024 * 1024)

static int read_all(const char *file, char **ret)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return util_read_fd(fd, PERSIST_FILE_MAX, ret, NULL);
}

/* mkdir -p of FILE's directory, 0755 (a policy directory is world-readable). */
static int make_parents(const char *file)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", file) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * In FILE, replace the section named SECTION (from its "[SECTION]" line to
 * the next section) by RULE (which starts with that line), or remove it
 * when RULE is NULL. Creates FILE 0644, and its directories, if needed.
 * Returns 0 or -errno.
 */
int persist_update(const char *file, const char *section, const char *rule)
{
	_cleanup_free_ char *old = NULL, *header = NULL, *text = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t size = 0;
	const char *p;
	bool skip = false;
	int r;

	r = read_all(file, &old);
	if (r == -ENOENT && !rule)
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	if (asprintf(&header, "[%s]", section) < 0)
		return -ENOMEM;
	r = make_parents(file);
	if (r < 0)
		return r;
	f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	if (!old)
		fputs("# Rules written by 'pcibind seize --persistent'; 'pcibind release\n"
		      "# --persistent' removes them. See pcibind.conf(5).\n",
		      f);
	for (p = old; p && *p;) {
		size_t len = strcspn(p, "\n");
		const char *line = p;

		p += len + (p[len] == '\n');
		if (line[0] == '[')
			skip = len == strlen(header) && !strncmp(line, header, len);
		if (!skip)
			fwrite(line, 1, len + (line[len] == '\n'), f);
	}
	if (rule)
		fputs(rule, f);
	if (fflush(f) != 0)
		return -ENOMEM;
	return util_write_atomic_at(AT_FDCWD, file, text, 0644);
}
