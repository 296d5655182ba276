/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device model: a snapshot of every PCI function as sysfs shows it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct sysfs;

/* Stub drivers that hold a device for passthrough. */
enum pcidev_stub {
	PCIDEV_STUB_NONE,
	PCIDEV_STUB_PCIBACK,
	PCIDEV_STUB_VFIO_PCI,
	PCIDEV_STUB_PCI_STUB,
	_PCIDEV_STUB_MAX,
};

struct pcidev {
	struct pci_addr addr;
	char bdf[ADDR_BDF_MAX];
	char qubes[ADDR_QUBES_MAX];

	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class;		/* 24 bits: base, sub, prog-if */
	uint8_t revision;
	int header_type;	/* config byte 0x0e without bit 7, -1 if unreadable */
	bool multifunction;	/* bit 7 of the header type byte */

	char *dir;		/* its directory from the root ("devices/pci0000:00/0000:00:1f.6"),
				 * where bus/pci/devices/BDF leads; NULL if not known */
	char *driver;		/* NULL when unbound */
	char *driver_module;	/* module that registers the driver, NULL if built-in */
	char *driver_override;	/* NULL when "(null)" or absent */
	char *modalias;
	enum pcidev_stub stub;
	bool in_pciback_slots;	/* listed in pciback's slots */

	bool resettable;	/* the "reset" attribute exists */
	char **reset_methods;	/* words of reset_method; NULL if it does not exist */

	int iommu_group;	/* -1 without an IOMMU group */
	int boot_vga;		/* -1 if the attribute does not exist */
	int secondary_bus;	/* bridges: secondary_bus_number, else -1 */
	bool reset_subordinate;	/* bridges: reset_subordinate exists (Linux >= 6.13) */

	struct pcidev *parent;	/* upstream bridge, NULL on a root bus */
	struct pcidev *physfn;	/* SR-IOV: the PF of a VF */
	char parent_bdf[ADDR_BDF_MAX];	/* "" on a root bus */
	char physfn_bdf[ADDR_BDF_MAX];	/* "" unless a VF */
	int sriov_totalvfs;	/* -1 unless an SR-IOV PF */
	int sriov_numvfs;
	int sriov_autoprobe;	/* sriov_drivers_autoprobe, -1 unless a PF */
	int sriov_offset, sriov_stride;	/* where its VFs appear (routing IDs), -1 unknown */
	int sriov_vf_device;	/* the VFs' device ID, -1 unknown */
	char **virtfns;		/* BDFs of the VFs of a PF, NULL otherwise */
	char **net_ifaces;	/* names under net/, NULL if none */
	char *vfio_dev;		/* the name under vfio-dev/ ("vfio3"): a vfio driver holds it */
	bool details;		/* override, modalias, reset, IOMMU, boot_vga, SR-IOV read */
	bool no_node_dirs;	/* details: its directory has no subdirectory a class device with
				 * a node could be in (its listing said so) */
	bool shown;		/* and the revision, config's header type and net/ (what only show
				 * and explain print: pcidev_load_shown) */
	bool related;		/* and those of its slot and bridge (pcidev_load_details) */
	bool group_loaded;	/* and those of its IOMMU group (pcidev_load_group) */
	bool behind_loaded;	/* a bridge: those of every function behind it */
};

struct pcidev_list {
	struct pcidev **devs;
	size_t n;
	bool have_pciback;	/* the pciback driver is registered */
	char **drivers;		/* names under bus/pci/drivers, sorted */
	char *pciback_permissive; /* pciback's permissive list, NULL without pciback */
	bool xen;		/* hypervisor/type says xen */
};

/* pcidev_scan() flags */
#define PCIDEV_SCAN_BASIC 1u	/* identity, driver, bridges' secondary bus: list's needs */
#define PCIDEV_SCAN_LAZY 2u	/* the cheap pass without the revision; pcidev_load_details()
				 * reads what decisions need, pcidev_load_shown() the rest */
#define PCIDEV_SCAN_OVERRIDE 4u	/* with BASIC: driver_override and the IOMMU group too */

int pcidev_scan(struct sysfs *s, unsigned int flags, struct pcidev_list **ret);
int pcidev_load_details(struct sysfs *s, struct pcidev_list *l, struct pcidev *d);
int pcidev_load_group(struct sysfs *s, struct pcidev_list *l, struct pcidev *d);
int pcidev_load_shown(struct sysfs *s, struct pcidev *d);
int pcidev_load_all_details(struct sysfs *s, struct pcidev_list *l);
int pcidev_refresh(struct sysfs *s, struct pcidev_list *l, char *const *bdfs, size_t n);
struct pcidev_list *pcidev_list_free(struct pcidev_list *l);
static inline void pcidev_list_freep(struct pcidev_list **l)
{
	pcidev_list_free(*l);
}

struct pcidev *pcidev_find(const struct pcidev_list *l, const struct pci_addr *a);
struct pcidev *pcidev_find_bdf(const struct pcidev_list *l, const char *bdf);

bool pcidev_is_bridge(const struct pcidev *d);
const char *pcidev_essential(const struct pcidev *d);
int pcidev_vf_index(const struct pcidev *vf);
bool pcidev_is_ehci(const struct pcidev *d);
bool pcidev_is_usb_companion(const struct pcidev *d);
bool pcidev_has_function_reset(const struct pcidev *d);
bool pcidev_driver_registered(const struct pcidev_list *l, const char *driver);
bool pcidev_permissive(const struct pcidev_list *l, const struct pcidev *d);
const char *pcidev_stub_name(enum pcidev_stub stub);
enum pcidev_stub pcidev_stub_from_driver(const char *driver);
enum pcidev_stub pcidev_stub_from_spelling(const char *spelling);

size_t pcidev_slot_functions(const struct pcidev_list *l, const struct pcidev *d,
			     struct pcidev **out, size_t max);
/* A Qubes PCI path of any depth: "DDDD_", then 8 bytes a hop, 256 buses at most. */
#define PCIDEV_PATH_MAX 2064
int pcidev_qubes_path(const struct pcidev *d, char *buf, size_t size);
int pcidev_iommu_members(struct sysfs *s, const struct pcidev *d, char ***ret);
bool pcidev_reset_works(const struct pcidev_list *l, const struct pcidev *d);
size_t pcidev_behind(const struct pcidev_list *l, const struct pcidev *bridge,
		     const struct pcidev **out, size_t max);
int pcidev_reset_reason(const struct pcidev_list *l, const struct pcidev *d, char *buf,
			size_t size);

/*
 * IOMMU groups, as VFIO sees them (Linux 5.19+): a group can be claimed only
 * when every other member has no driver, a vfio driver, pci-stub, or
 * (bridges) pcieport. What a member does to its group's viability:
 */
enum pcidev_group_member {
	PCIDEV_GROUP_UNBOUND, /* no driver */
	PCIDEV_GROUP_VFIO, /* vfio-pci or a variant (it has vfio-dev/) */
	PCIDEV_GROUP_PCI_STUB, /* pci-stub: driver_managed_dma */
	PCIDEV_GROUP_PCIEPORT, /* a bridge on pcieport */
	PCIDEV_GROUP_MOVING, /* the change moves it to vfio too */
	PCIDEV_GROUP_BLOCKS, /* any other driver: the group is not viable */
};

bool pcidev_is_vfio_driver(const char *driver);
bool pcidev_vfio_holds(const struct pcidev *d);
enum pcidev_group_member pcidev_group_member_state(const struct pcidev *d,
						   struct pcidev *const *moving, size_t n_moving);
const char *pcidev_group_member_name(enum pcidev_group_member m);
size_t pcidev_group_members(const struct pcidev_list *l, int group, const struct pcidev **out,
			    size_t max);
int pcidev_group_blockers(const struct pcidev_list *l, int group, struct pcidev *const *moving,
			  size_t n_moving, char *buf, size_t size);
