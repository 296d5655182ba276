/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI function addresses: the kernel's BDF and the Qubes "dom0:BB_SS.F" form. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t slot;
	uint8_t func;
};

/* "0000:00:1d.0" plus NUL; domains above 0xffff print wider. */
#define ADDR_BDF_MAX 20
/* "dom0:0000_00_1d.0" plus NUL, with room for wide domains. */
#define ADDR_QUBES_MAX 28

int addr_parse_hex(const char **p, int n, int maxn, uint32_t *ret);
int addr_parse_bdf(const char *s, struct pci_addr *ret);
int addr_parse_qubes(const char *s, struct pci_addr *ret);
char *addr_format_bdf(const struct pci_addr *a, char buf[static ADDR_BDF_MAX]);
char *addr_format_qubes(const struct pci_addr *a, char buf[static ADDR_QUBES_MAX]);
int addr_cmp(const struct pci_addr *a, const struct pci_addr *b);
bool addr_same_slot(const struct pci_addr *a, const struct pci_addr *b);
