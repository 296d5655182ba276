/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind status: what pcibind has seized, from where, since when, and from which driver. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "engine.h"
#include "log.h"
#include "output.h"
#include "policy.h"
#include "sysfs.h"

static void format_time(long long t, char *buf, size_t size)
{
	time_t ts = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&ts, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "unknown");
}

static void status_device(struct out *o, struct pb_ctx *c, const struct journal_device *d)
{
	char now[NAME_MAX + 1] = "", since[32];
	struct pci_addr a;
	char qubes[ADDR_QUBES_MAX] = "";

	if (addr_parse_bdf(d->bdf, &a) == 0)
		addr_format_qubes(&a, qubes);
	(void)sysfs_read_link_name(c->sysfs, now, sizeof(now), "bus/pci/devices/%s/driver", d->bdf);
	format_time(d->since, since, sizeof(since));
	if (!out_is_json(o)) {
		printf("%s  %s  on %s%s  native %s%s%s%s  origin %s  since %s%s\n", qubes, d->bdf,
		       now[0] ? now : "no driver",
		       d->stub[0] && !streq(now, d->stub) ? " (recorded: " : "",
		       d->driver[0] ? d->driver : "unknown (libkmod decides at release)",
		       d->module[0] ? " (module " : "", d->module, d->module[0] ? ")" : "",
		       d->origin[0] ? d->origin : "unknown", since,
		       d->stranded ? "  STRANDED: see pcibind(8)" : "");
		return;
	}
	out_begin_object(o, NULL);
	out_string(o, "address", NULL, d->bdf);
	out_string(o, "qubes_address", NULL, qubes);
	out_string(o, "stub", NULL, d->stub[0] ? d->stub : NULL);
	out_string(o, "driver", NULL, now[0] ? now : NULL);
	out_string(o, "native_driver", NULL, d->driver[0] ? d->driver : NULL);
	out_string(o, "native_module", NULL, d->module[0] ? d->module : NULL);
	out_string(o, "origin", NULL, d->origin[0] ? d->origin : NULL);
	out_string(o, "since", NULL, since);
	out_bool(o, "stranded", NULL, d->stranded);
	out_end_object(o);
}

/*
 * Boot records the digest of the policy it read (the initramfs's copy). When
 * the policy here differs, the next boot will not follow it: say so.
 */
static void initramfs_policy_note(struct pb_ctx *c)
{
	_cleanup_free_ char *boot = NULL;
	const struct policy *p;
	char now[32];

	if (engine_note(c->engine, "boot-policy", &boot) < 0)
		return;
	boot[strcspn(boot, "\n")] = '\0';
	if (engine_policy(c->engine, &p) < 0)
		return;
	snprintf(now, sizeof(now), "%016llx", (unsigned long long)p->digest);
	if (strcmp(now, boot))
		fprintf(stderr,
			"pcibind: the policy changed since this boot read its copy in the initramfs "
			"(%s, now %s): rebuild the initramfs (dracut -f) so the next boot follows it\n",
			boot, now);
}

/* pcibind status. Returns an exit code. */
int cmd_status(struct pb_ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(out_freep) struct out *o = NULL;
	_cleanup_free_ struct journal_device *devs = NULL;
	struct engine_pending t;
	size_t n = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			printf("Usage: pcibind [OPTIONS] status [--json]\n\n"
			       "What pcibind has seized: the stub, the driver now, the native driver\n"
			       "and module, who seized it (cli, boot, udev) and since when.\n");
			return PB_EXIT_OK;
		default:
			return cmd_option_error("status", argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error("status takes no arguments");

	r = engine_records(c->engine, &devs, &n);
	if (r == -ENOENT) {
		if (c->json)
			printf("{\n  \"seized\": [],\n  \"transaction\": null\n}\n");
		else
			printf("nothing seized (no journal in %s)\n", c->roots.state_dir);
		return PB_EXIT_OK;
	}
	if (r < 0) {
		log_error_errno(r, "cannot read the journal in '%s'", c->roots.state_dir);
		return PB_EXIT_FAILURE;
	}
	o = out_new(c->json, stdout);
	if (!o)
		return PB_EXIT_FAILURE;
	if (c->json)
		out_begin_array(o, "seized", NULL);
	for (size_t i = 0; i < n; i++)
		status_device(o, c, &devs[i]);
	if (c->json)
		out_end_array(o);
	else if (!n)
		printf("nothing seized (journal: %s)\n", c->roots.state_dir);

	r = engine_pending(c->engine, &t);
	if (r == 0) {
		if (c->json) {
			out_begin_object(o, "transaction");
			out_string(o, "operation", NULL, t.op);
			out_string(o, "origin", NULL, t.origin);
			out_int(o, "steps_done", NULL, (long long)t.steps_done);
			out_end_object(o);
		} else {
			printf("unfinished %s (origin %s, %zu steps done): the next seize or release "
			       "undoes it\n",
			       t.op, t.origin, t.steps_done);
		}
	} else if (c->json) {
		out_null(o, "transaction", NULL, NULL);
	}
	r = out_finish(o);
	if (r < 0)
		return PB_EXIT_FAILURE;
	initramfs_policy_note(c);
	return PB_EXIT_OK;
}
