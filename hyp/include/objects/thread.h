/* thread.h - the thread object: a vCPU, with the cspace its hypercalls look caps up in.
 * Its register context and scheduling state grow with VM support. */
#pragma once

#include "cspace.h"
#include "object.h"
#include "trap_frame.h"

struct vm;

typedef struct thread {
	object_header_t header;
	struct vm *vm;
	unsigned index;
	cspace_t *cspace; /* attached in INIT by cspace_attach_thread; holds a reference */
	trap_frame_t entry_frame;
} thread_t;

/* cspace_attach_thread: the thread (in INIT) will look its caps up in `cspace`. */
error_t thread_attach_cspace(thread_t *thread, cspace_t *cspace);
