# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: selftest
# Deliberately broken: crash the kernel (sysrq "c"; with panic=-1 and
# -no-reboot QEMU exits at once). The harness must see the panic on the
# console and the missing SUMMARY/VMTEST DONE.
check before-crash true
echo c >/proc/sysrq-trigger
check never-reached true
