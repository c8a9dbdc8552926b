/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_COMMON_H
#define IDD_COMMON_H

/**
 * @file
 * Types and macros shared by every idd header: addresses, domain and token
 * identifiers, bit helpers and the library version.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Major version of the idd headers this program was compiled against. */
#define IDD_VERSION_MAJOR 0
/** Minor version of the idd headers this program was compiled against. */
#define IDD_VERSION_MINOR 1
/** Patch level of the idd headers this program was compiled against. */
#define IDD_VERSION_PATCH 0

/** A 64-bit value with only bit @p nr set. */
#define IDD_BIT64(nr) (UINT64_C(1) << (nr))

/**
 * An address as the data path sees it. idd engines work on virtual
 * addresses (every device advertises IDD_DMA_CAPA_SVA), so this is a pointer
 * value: `(idd_iova_t)(uintptr_t)ptr`. For an inter-domain vchan it is an
 * address in the address space of the domain the vchan's handler names.
 */
typedef uint64_t idd_iova_t;

/**
 * A 128-bit identifier: a domain id or a group token. Layout-compatible with
 * libuuid's `uuid_t`, so `uuid_generate()` and `uuid_parse()` fill it.
 */
typedef unsigned char idd_uuid_t[16];

/**
 * Run-time version of the library, as "MAJOR.MINOR.PATCH".
 *
 * @return
 *   A static string; never NULL.
 */
const char *idd_version(void);

#ifdef __cplusplus
}
#endif

#endif /* IDD_COMMON_H */
