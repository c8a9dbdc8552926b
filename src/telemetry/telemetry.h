/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_TELEMETRY_TELEMETRY_H
#define IDD_SRC_TELEMETRY_TELEMETRY_H

/*
 * What the rest of the library calls in src/telemetry/ (the public calls
 * are in idd/idd_telemetry.h).
 */

#include <stdint.h>

/* A device was created (called by idd_dma_dev_create(), not under the
 * registry lock). The first call of a process reads IDD_TELEMETRY and, if
 * it is 1, enables telemetry in the namespace of device @dev_id. */
void telemetry_dev_created(int16_t dev_id);

#endif
