/* SPDX-License-Identifier: BSD-3-Clause */
#include <idd/idd_common.h>

#define IDD_STR2(x) #x
#define IDD_STR(x) IDD_STR2(x)

const char *
idd_version(void)
{
	return IDD_STR(IDD_VERSION_MAJOR) "." IDD_STR(IDD_VERSION_MINOR) "."
	       IDD_STR(IDD_VERSION_PATCH);
}
