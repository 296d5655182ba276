/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a release leaves behind: the rules that seize the function again, and the initramfs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "pcidev.h"
#include "plan.h"
#include "policy.h"

/*
 * The command that rebuilds this system's initramfs: update-initramfs -u
 * where initramfs-tools makes it (Debian, Ubuntu), dracut -f where dracut
 * does (Fedora, Qubes, a Debian with dracut). PCIBIND_INITRAMFS_TOOL
 * (update-initramfs or dracut) says which for tests.
 */
const char *cmd_initramfs_rebuild(void)
{
	const char *tool = getenv("PCIBIND_INITRAMFS_TOOL");
	bool dracut, itools;

	if (tool && *tool) {
		dracut = streq(tool, "dracut");
		itools = streq(tool, "update-initramfs");
	} else {
		dracut = access("/usr/bin/dracut", X_OK) == 0 || access("/sbin/dracut", X_OK) == 0;
		itools = access("/usr/sbin/update-initramfs", X_OK) == 0 ||
			 access("/sbin/update-initramfs", X_OK) == 0;
	}
	if (dracut && !itools)
		return "dracut -f";
	if (itools && !dracut)
		return "update-initramfs -u";
	return "dracut -f, or update-initramfs -u with initramfs-tools";
}

/*
 * After a release has been reported: with --persistent and nothing to
 * release (the function is off its stub already), remove its
 * "[persistent BDF]" rule all the same and say so; without --persistent,
 * warn for each function a rule will seize again at the next boot or
 * hot-plug, naming the rule and its file. The N functions DEVS were asked
 * for; CH is the change.
 */
void cmd_release_rules(struct pb_ctx *c, const struct change_opts *o, const struct change *ch,
		       struct pcidev *const *devs, size_t n)
{
	if (o->op != PLAN_RELEASE)
		return;
	if (o->persistent) {
		char file[4096];
		int r;

		if (ch->outcome != CHANGE_NOTHING || o->dry_run)
			return;
		for (size_t i = 0; i < n; i++) {
			r = engine_unpersist(c->engine, devs[i]->bdf, file, sizeof(file));
			if (r < 0)
				log_error_errno(r, "cannot remove the rule [persistent %s] from %s",
						devs[i]->bdf, file);
			else if (r > 0)
				fprintf(stderr,
					"pcibind: removed the rule [persistent %s] from %s; the "
					"initramfs keeps its own copy of the policy: rebuild it "
					"(%s) for boot to follow it\n",
					devs[i]->bdf, file, cmd_initramfs_rebuild());
		}
		return;
	}
	if (ch->outcome != CHANGE_NOTHING && ch->outcome != CHANGE_DONE &&
	    ch->outcome != CHANGE_PLANNED)
		return;
	for (size_t i = 0; i < n; i++) {
		struct policy_eval ev = { 0 };
		const struct policy_rule *rule;
		char t1[256], t2[4096];
		const char *what;

		if (engine_eval(c->engine, devs[i], NULL, &ev) < 0)
			continue;
		what = ev.v.boot > 0 && ev.v.hotplug > 0 ? "the next boot or hot-plug"
		       : ev.v.boot > 0			 ? "the next boot"
		       : ev.v.hotplug > 0		 ? "the next hot-plug"
							 : NULL;
		rule = ev.v.boot > 0 ? ev.source[PK_BOOT] : ev.source[PK_HOTPLUG];
		if (what && rule) {
			bool mine = !strncmp(rule->name, "persistent ", 11);

			log_warning("%s: the rule [%s] at %s:%d seizes it again at %s; %s%s%s",
				    devs[i]->bdf, cmd_term(rule->name, t1, sizeof(t1)),
				    cmd_term(rule->file, t2, sizeof(t2)), rule->line, what,
				    mine ? "'pcibind release --persistent " : "edit that rule",
				    mine ? devs[i]->bdf : "", mine ? "' removes the rule" : "");
		}
		policy_eval_done(&ev);
	}
}
