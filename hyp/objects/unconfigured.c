/* unconfigured.c - activation of the object types whose configuration hypercalls are not
 * implemented yet: they cannot be configured, so activating one is ERROR_OBJECT_CONFIG. */
#include "object.h"
#include "object_ops.h"

error_t
virtio_mmio_activate(object_header_t *object)
{
	(void)object; /* needs virtio_mmio_configure */
	return ERROR_OBJECT_CONFIG;
}
