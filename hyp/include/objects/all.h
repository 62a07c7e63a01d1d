/* all.h - the C type of every object kind, for the generated dispatch table (sizeof).
 * Types with no behaviour yet are just their header; each grows in its own header. */
#pragma once

#include "cspace.h"
#include "memextent.h"
#include "object.h"
#include "objects/doorbell.h"
#include "objects/hwirq.h"
#include "objects/msgqueue.h"
#include "objects/thread.h"
#include "partition.h"
#include "vgic.h"
#include "vm.h"

typedef struct { object_header_t header; } vpm_group_t;
typedef struct { object_header_t header; } virtio_mmio_t;
