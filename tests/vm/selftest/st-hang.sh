# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: selftest
# Deliberately broken: hang forever. Run with a short --timeout; the harness
# must kill the guest and report that it did not power off in time.
check before-hang true
sleep 100000
