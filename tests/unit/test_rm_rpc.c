/* test_rm_rpc.c - rm/'s RM RPC library on the host: every implemented request's exact bytes,
 * permissions, fragmentation both ways, every kind of malformed input, independence of clients,
 * outbox backpressure and overflow, notifications, and a 100 000-message generated run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le_bytes.h"
#include "rpc_fixture.h"
#include "unit.h"
#include "vm_state.h"

#define HLOS RM_VMID_HLOS
#define CHILD 0x80U
#define STRANGER 0x81U

static rpc_client_t hlos_client, child_client, stranger_client;
static fx_queue_t hlos_q, child_q, stranger_q;
static rm_vm_t *hlos_vm, *child_vm, *stranger_vm;
static fx_msg_t msg;

/* HLOS (owned by the RM), CHILD (owned by HLOS) and STRANGER (owned by the RM), each with a client. */
static void
setup(void)
{
	rm_vm_registry_reset();
	fx_reset_captures();
	memset(&hlos_q, 0, sizeof(hlos_q));
	memset(&child_q, 0, sizeof(child_q));
	memset(&stranger_q, 0, sizeof(stranger_q));
	rpc_client_init(&hlos_client, HLOS, fx_send, &hlos_q);
	rpc_client_init(&child_client, CHILD, fx_send, &child_q);
	rpc_client_init(&stranger_client, STRANGER, fx_send, &stranger_q);
	hlos_vm = rm_vm_add(HLOS, "linux", RM_VMID_RM);
	child_vm = rm_vm_add(CHILD, "child", HLOS);
	stranger_vm = rm_vm_add(STRANGER, "stranger", RM_VMID_RM);
	CHECK(hlos_vm != NULL && child_vm != NULL && stranger_vm != NULL);
	hlos_vm->rpc = &hlos_client;
	child_vm->rpc = &child_client;
	stranger_vm->rpc = &stranger_client;
}

/* Sends a request and reads exactly one reply echoing it; returns its rm_error. */
static uint32_t
call(rpc_client_t *c, fx_queue_t *q, uint16_t seq, uint32_t id, const void *payload, size_t len)
{
	fx_request(c, seq, id, payload, len);
	CHECK(fx_next_message(q, &msg));
	CHECK_EQ(msg.type, RM_RPC_TYPE_REPLY);
	CHECK_EQ(msg.seq, seq);
	CHECK_EQ(msg.msg_id, id);
	CHECK_EQ(fx_pending_fragments(q), 0);
	return le32_load(msg.payload);
}

static uint32_t
call_vmid(rpc_client_t *c, fx_queue_t *q, uint32_t id, uint16_t vmid, uint16_t res0)
{
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], vmid);
	le16_store(&req[RM_RPC_VMID_REQUEST_RES0_OFF], res0);
	return call(c, q, 9, id, req, sizeof(req));
}

static void
expect_no_output(const fx_queue_t *q)
{
	CHECK_EQ(fx_pending_fragments(q), 0);
}

/* --- every implemented request ------------------------------------------------------------- */

static void
test_get_vmid_bytes(void)
{
	setup();
	static const uint8_t request[] = { 0x21, 0x01, 0x05, 0x00, 0x24, 0x00, 0x00, 0x56 };
	static const uint8_t reply[] = { 0x21, 0x02, 0x05, 0x00, 0x24, 0x00, 0x00, 0x56,
					 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00 };
	rpc_client_receive(&hlos_client, request, sizeof(request));
	CHECK_EQ(hlos_q.count, 1);
	CHECK_EQ(hlos_q.len[0], sizeof(reply));
	CHECK(memcmp(hlos_q.bytes[0], reply, sizeof(reply)) == 0);
	CHECK(hlos_q.push[0]);
	fx_queue_reset(&hlos_q);
	CHECK_EQ(call(&child_client, &child_q, 0xffff, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
	CHECK_EQ(msg.len, 8);
	CHECK_EQ(le32_load(&msg.payload[4]), CHILD);
	/* A payload where none belongs. */
	uint8_t extra[4] = { 0 };
	CHECK_EQ(call(&hlos_client, &hlos_q, 1, RM_RPC_VM_GET_VMID, extra, 4), RM_ERROR_MSG_INVALID);
	CHECK_EQ(msg.len, 4);
}

static void
test_host_get_type(void)
{
	setup();
	CHECK_EQ(call(&hlos_client, &hlos_q, 2, RM_RPC_VM_HOST_GET_TYPE, NULL, 0), RM_OK);
	CHECK_EQ(msg.len, 8);
	CHECK_EQ(le32_load(&msg.payload[4]), 0x01000164U);
	uint8_t extra[1] = { 0 };
	CHECK_EQ(call(&hlos_client, &hlos_q, 3, RM_RPC_VM_HOST_GET_TYPE, extra, 1),
		 RM_ERROR_MSG_INVALID);
}

static void
test_get_state_permissions(void)
{
	setup();
	child_vm->vm_state = RM_VM_STATE_RUNNING;
	child_vm->os_state = RM_OS_STATE_BOOT;
	child_vm->app_status = 0xbeef;
	/* The owner asks about its VM: u32 vm_state | os_state << 8 | app_status << 16. */
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_STATE, CHILD, 0), RM_OK);
	CHECK_EQ(msg.len, 8);
	CHECK_EQ(le32_load(&msg.payload[4]), 0xbeef0203U);
	/* Itself, by VMID and by 0. */
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_GET_STATE, CHILD, 0), RM_OK);
	CHECK_EQ(le32_load(&msg.payload[4]), 0xbeef0203U);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_GET_STATE, 0, 0), RM_OK);
	CHECK_EQ(le32_load(&msg.payload[4]), 0xbeef0203U);
	/* Not its owner, not itself; no such VM; a reserved field; a wrong length. */
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_GET_STATE, HLOS, 0), RM_ERROR_DENIED);
	CHECK_EQ(msg.len, 4);
	CHECK_EQ(call_vmid(&stranger_client, &stranger_q, RM_RPC_VM_GET_STATE, CHILD, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_STATE, 0x99, 0),
		 RM_ERROR_VMID_INVALID);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_STATE, CHILD, 1),
		 RM_ERROR_MSG_INVALID);
	uint8_t longer[5] = { CHILD, 0, 0, 0, 0 };
	CHECK_EQ(call(&hlos_client, &hlos_q, 4, RM_RPC_VM_GET_STATE, longer, 5), RM_ERROR_MSG_INVALID);
	CHECK_EQ(call(&hlos_client, &hlos_q, 4, RM_RPC_VM_GET_STATE, longer, 2), RM_ERROR_MSG_INVALID);
}

static void
test_set_status_notifies_owner(void)
{
	setup();
	child_vm->vm_state = RM_VM_STATE_RUNNING;
	uint8_t req[RM_RPC_VM_SET_STATUS_REQUEST_SIZE] = { RM_VM_STATE_NONE, RM_OS_STATE_RUN, 0x34,
							   0x12 };
	CHECK_EQ(call(&child_client, &child_q, 5, RM_RPC_VM_SET_STATUS, req, sizeof(req)), RM_OK);
	CHECK_EQ(msg.len, 4);
	CHECK_EQ(child_vm->os_state, RM_OS_STATE_RUN);
	CHECK_EQ(child_vm->app_status, 0x1234);
	CHECK_EQ(child_vm->vm_state, RM_VM_STATE_RUNNING);
	/* NOTIFY_VM_STATUS to the owner (HLOS), with exactly these bytes. */
	static const uint8_t note[] = { 0x21, 0x03, 0x00, 0x00, 0x08, 0x00, 0x10, 0x56, 0x80, 0x00,
					0x00, 0x00, 0x03, 0x04, 0x34, 0x12 };
	CHECK_EQ(hlos_q.count, 1);
	CHECK_EQ(hlos_q.len[0], sizeof(note));
	CHECK(memcmp(hlos_q.bytes[0], note, sizeof(note)) == 0);
	/* os_status NONE leaves it alone; app_status is always taken. */
	req[1] = RM_OS_STATE_NONE;
	req[2] = 0x01;
	req[3] = 0x00;
	CHECK_EQ(call(&child_client, &child_q, 6, RM_RPC_VM_SET_STATUS, req, sizeof(req)), RM_OK);
	CHECK_EQ(child_vm->os_state, RM_OS_STATE_RUN);
	CHECK_EQ(child_vm->app_status, 1);
	CHECK_EQ(hlos_q.count, 2);
	CHECK_EQ(le16_load(&hlos_q.bytes[1][RM_RPC_HEADER_SEQ_OFF]), 1); /* notification counter */
	/* A VM may not set its lifecycle state, nor an os_status beyond CRASHED. */
	req[0] = RM_VM_STATE_EXITED;
	CHECK_EQ(call(&child_client, &child_q, 7, RM_RPC_VM_SET_STATUS, req, sizeof(req)),
		 RM_ERROR_ARGUMENT_INVALID);
	req[0] = RM_VM_STATE_NONE;
	req[1] = RM_OS_STATE_CRASHED + 1;
	CHECK_EQ(call(&child_client, &child_q, 8, RM_RPC_VM_SET_STATUS, req, sizeof(req)),
		 RM_ERROR_ARGUMENT_INVALID);
	CHECK_EQ(hlos_q.count, 2);
	CHECK_EQ(child_vm->app_status, 1);
	/* HLOS's owner is the RM, which has no client: nothing is sent anywhere. */
	hlos_q.taken = hlos_q.count;
	req[1] = RM_OS_STATE_BOOT;
	CHECK_EQ(call(&hlos_client, &hlos_q, 9, RM_RPC_VM_SET_STATUS, req, sizeof(req)), RM_OK);
	CHECK_EQ(hlos_q.count, 3);
	CHECK_EQ(child_q.count, 0 + 4); /* only the four replies */
	CHECK_EQ(call(&child_client, &child_q, 9, RM_RPC_VM_SET_STATUS, req, 3), RM_ERROR_MSG_INVALID);
}

static rm_hyp_resource_t
resource(unsigned i)
{
	return (rm_hyp_resource_t){
		.type = (uint8_t)(i % 11U),
		.partner_vmid = (uint16_t)(HLOS + i),
		.handle = 0x1000U + i,
		.label = i,
		.cap = 0x1122334455667700ULL + i,
		.virq = 32U + i,
		.base = 0x80000000ULL + i * 0x1000ULL,
		.size = 0x1000ULL * (i + 1U),
		.virq_handle = 0x2000U + i,
	};
}

static void
check_resource_entry(const uint8_t *e, unsigned i)
{
	rm_hyp_resource_t r = resource(i);
	CHECK_EQ(e[RM_RPC_HYP_RESOURCE_TYPE_OFF], r.type);
	CHECK_EQ(e[RM_RPC_HYP_RESOURCE_RES0_OFF], 0);
	CHECK_EQ(le16_load(&e[RM_RPC_HYP_RESOURCE_PARTNER_VMID_OFF]), r.partner_vmid);
	CHECK_EQ(le32_load(&e[RM_RPC_HYP_RESOURCE_HANDLE_OFF]), r.handle);
	CHECK_EQ(le32_load(&e[RM_RPC_HYP_RESOURCE_LABEL_OFF]), r.label);
	CHECK_EQ(le64_load(&e[RM_RPC_HYP_RESOURCE_CAP_ID_OFF]), r.cap);
	CHECK_EQ(le32_load(&e[RM_RPC_HYP_RESOURCE_VIRQ_HANDLE_OFF]), r.virq_handle);
	CHECK_EQ(le32_load(&e[RM_RPC_HYP_RESOURCE_VIRQ_OFF]), r.virq);
	CHECK_EQ(le64_load(&e[RM_RPC_HYP_RESOURCE_BASE_OFF]), r.base);
	CHECK_EQ(le64_load(&e[RM_RPC_HYP_RESOURCE_SIZE_OFF]), r.size);
}

static void
test_hyp_resources(void)
{
	setup();
	/* Byte layout of one entry, against Gunyah's 44-byte rm_hyp_resource_resp_t. */
	rm_hyp_resource_t one = resource(9);
	CHECK_OK(rm_vm_add_resource(child_vm, &one));
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_GET_HYP_RESOURCES, 0, 0), RM_OK);
	static const uint8_t entry9[44] = {
		9, 0, 12, 0, 0x09, 0x10, 0, 0, 9, 0, 0, 0, 0x09, 0x77, 0x66, 0x55, 0x44, 0x33,
		0x22, 0x11, 0x09, 0x20, 0, 0, 41, 0, 0, 0, 0, 0x90, 0, 0x80, 0, 0, 0, 0,
		0, 0xa0, 0, 0, 0, 0, 0, 0,
	};
	CHECK_EQ(msg.len, 4 + 4 + 44);
	CHECK_EQ(le32_load(&msg.payload[4]), 1);
	CHECK(memcmp(&msg.payload[8], entry9, sizeof(entry9)) == 0);

	/* Exactly 4 + 44n data bytes after the error word, for every n the registry holds. */
	setup();
	for (unsigned n = 0; n <= RM_VM_MAX_RESOURCES; n++) {
		CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_GET_HYP_RESOURCES, CHILD, 0),
			 RM_OK);
		CHECK_EQ(msg.len, 4 + 4 + 44 * n);
		CHECK_EQ(msg.fragments, (4 + 4 + 44 * n + 231) / 232);
		CHECK_EQ(le32_load(&msg.payload[4]), n);
		for (unsigned i = 0; i < n; i++) {
			check_resource_entry(&msg.payload[8 + 44 * i], i);
		}
		if (n == 6) {
			/* 268 bytes of data: two fragments of 240 and 48 bytes (232 + 40 payload). */
			CHECK_EQ(child_q.len[child_q.count - 2], 240);
			CHECK_EQ(child_q.len[child_q.count - 1], 48);
			CHECK_EQ(child_q.bytes[child_q.count - 2][1], RM_RPC_TYPE_REPLY | 1 << 2);
			CHECK_EQ(child_q.bytes[child_q.count - 1][1], RM_RPC_TYPE_CONTINUED | 1 << 2);
		}
		if (n < RM_VM_MAX_RESOURCES) {
			rm_hyp_resource_t r = resource(n);
			CHECK_OK(rm_vm_add_resource(child_vm, &r));
		}
	}
	rm_hyp_resource_t r = resource(0);
	CHECK_ERR(rm_vm_add_resource(child_vm, &r), ERROR_NORESOURCES);
	/* The caps are in the VM's own cspace: not even its owner gets them. */
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_HYP_RESOURCES, CHILD, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_HYP_RESOURCES, 0x99, 0),
		 RM_ERROR_VMID_INVALID);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_HYP_RESOURCES, HLOS, 0xff),
		 RM_ERROR_MSG_INVALID);
}

static uint32_t
console_write(rpc_client_t *c, fx_queue_t *q, uint16_t vmid, const char *text, size_t n,
	      size_t claimed)
{
	static uint8_t req[RM_RPC_MAX_PAYLOAD];
	le16_store(&req[RM_RPC_CONSOLE_WRITE_REQUEST_VMID_OFF], vmid);
	le16_store(&req[RM_RPC_CONSOLE_WRITE_REQUEST_NUM_BYTES_OFF], (uint16_t)claimed);
	memcpy(&req[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE], text, n);
	return call(c, q, 11, RM_RPC_VM_CONSOLE_WRITE, req, RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + n);
}

/* The next message on `q` is NOTIFY_VM_CONSOLE_CHARS {from, bytes}. */
static void
expect_console_chars(fx_queue_t *q, uint16_t from, const char *bytes, size_t n)
{
	CHECK(fx_next_message(q, &msg));
	CHECK_EQ(msg.type, RM_RPC_TYPE_NOTIFICATION);
	CHECK_EQ(msg.msg_id, RM_RPC_NOTIFY_VM_CONSOLE_CHARS);
	CHECK_EQ(msg.len, RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE + n);
	CHECK_EQ(le16_load(&msg.payload[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_FROM_VMID_OFF]), from);
	CHECK_EQ(le16_load(&msg.payload[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_NUM_BYTES_OFF]), n);
	CHECK(memcmp(&msg.payload[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE], bytes, n) == 0);
}

/* The owner's side of a VM's console (the child's is open on entry). */
static void
test_console_forwarding(void)
{
	/* Not open on the owner's side: its writes are DENIED, the VM's are only printed. */
	CHECK_EQ(console_write(&hlos_client, &hlos_q, CHILD, "x", 1, 1), RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_CONSOLE_FLUSH, CHILD, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(console_write(&child_client, &child_q, 0, "quiet", 5, 5), RM_OK);
	expect_no_output(&hlos_q);
	/* Open: the VM's bytes are printed and reach the owner, from the VM's VMID. */
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_CONSOLE_OPEN, CHILD, 0), RM_OK);
	CHECK(child_vm->console_owner_open && child_vm->console_open);
	fx_reset_captures();
	CHECK_EQ(console_write(&child_client, &child_q, 0, "up\n", 3, 3), RM_OK);
	CHECK_EQ(fx_console_len, 3);
	expect_console_chars(&hlos_q, CHILD, "up\n", 3);
	expect_no_output(&hlos_q);
	/* The owner's bytes reach the VM, from the owner's VMID, and are not printed. */
	CHECK_EQ(console_write(&hlos_client, &hlos_q, CHILD, "ls\n", 3, 3), RM_OK);
	CHECK_EQ(fx_console_len, 3);
	expect_console_chars(&child_q, HLOS, "ls\n", 3);
	expect_no_output(&child_q);
	CHECK_EQ(console_write(&hlos_client, &hlos_q, CHILD, "", 0, 0), RM_OK);
	expect_no_output(&child_q);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_CONSOLE_FLUSH, CHILD, 0), RM_OK);
	/* The VM closed its side: the owner's bytes would go nowhere, so DENIED. */
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_CLOSE, 0, 0), RM_OK);
	CHECK_EQ(console_write(&hlos_client, &hlos_q, CHILD, "ls\n", 3, 3), RM_ERROR_DENIED);
	expect_no_output(&child_q);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_OPEN, 0, 0), RM_OK);
	/* The owner closed its side: nothing more reaches it. */
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_CONSOLE_CLOSE, CHILD, 0), RM_OK);
	CHECK(!child_vm->console_owner_open && child_vm->console_open);
	CHECK_EQ(console_write(&child_client, &child_q, 0, "bye", 3, 3), RM_OK);
	expect_no_output(&hlos_q);
}

static void
test_console(void)
{
	setup();
	CHECK_EQ(console_write(&child_client, &child_q, 0, "hi", 2, 2), RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_FLUSH, 0, 0), RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_OPEN, 0, 0), RM_OK);
	CHECK(child_vm->console_open);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_OPEN, CHILD, 0), RM_OK);
	CHECK_EQ(console_write(&child_client, &child_q, 0, "hello\0x\n", 8, 8), RM_OK);
	CHECK_EQ(console_write(&child_client, &child_q, CHILD, "", 0, 0), RM_OK);
	CHECK_EQ(fx_console_len, 8);
	CHECK(memcmp(fx_console, "hello\0x\n", 8) == 0);
	CHECK(fx_console_vm == child_vm);
	/* num_bytes must match the bytes that follow. */
	CHECK_EQ(console_write(&child_client, &child_q, 0, "abc", 3, 4), RM_ERROR_MSG_INVALID);
	CHECK_EQ(console_write(&child_client, &child_q, 0, "abc", 3, 2), RM_ERROR_MSG_INVALID);
	CHECK_EQ(call(&child_client, &child_q, 12, RM_RPC_VM_CONSOLE_WRITE, "ab", 2),
		 RM_ERROR_MSG_INVALID);
	/* A VM's own console or one it owns; unknown VMs are VMID_INVALID. */
	CHECK_EQ(call_vmid(&stranger_client, &stranger_q, RM_RPC_VM_CONSOLE_OPEN, CHILD, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(console_write(&stranger_client, &stranger_q, CHILD, "x", 1, 1), RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_CONSOLE_OPEN, 0x99, 0),
		 RM_ERROR_VMID_INVALID);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_OPEN, HLOS, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_CLOSE, 0, 7),
		 RM_ERROR_MSG_INVALID);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_FLUSH, 0, 0), RM_OK);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_CLOSE, 0, 0), RM_OK);
	CHECK(!child_vm->console_open);
	CHECK_EQ(console_write(&child_client, &child_q, 0, "late", 4, 4), RM_ERROR_DENIED);
	CHECK_EQ(fx_console_len, 8);
	/* A multi-fragment write arrives whole: 1000 bytes = 5 fragments. */
	char big[1000];
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (char)('a' + i % 26);
	}
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_OPEN, 0, 0), RM_OK);
	fx_reset_captures();
	CHECK_EQ(console_write(&child_client, &child_q, 0, big, sizeof(big), sizeof(big)), RM_OK);
	CHECK_EQ(fx_console_len, sizeof(big));
	CHECK(memcmp(fx_console, big, sizeof(big)) == 0);
	test_console_forwarding();
}

static void
test_unimplemented_ids(void)
{
	setup();
	unsigned implemented = 0, unimplemented = 0;
	uint8_t zeros[RM_RPC_VMID_REQUEST_SIZE] = { 0 };
#define TRY(name, id)                                                                        \
	do {                                                                                 \
		uint32_t err = call(&hlos_client, &hlos_q, 13, (id), zeros, sizeof(zeros));   \
		uint32_t err0 = call(&hlos_client, &hlos_q, 14, (id), NULL, 0);              \
		if (err == RM_ERROR_UNIMPLEMENTED) {                                          \
			CHECK_EQ(err0, RM_ERROR_UNIMPLEMENTED);                               \
			CHECK_EQ(msg.len, 4);                                                 \
			unimplemented++;                                                      \
		} else {                                                                      \
			CHECK(err0 != RM_ERROR_UNIMPLEMENTED);                                \
			implemented++;                                                        \
		}                                                                             \
	} while (0);
	RM_RPC_REQUESTS(TRY)
	RM_RPC_NOTIFICATIONS(TRY) /* a notification ID in a REQUEST is just an unknown request */
#undef TRY
	CHECK_EQ(implemented, RM_RPC_IMPLEMENTED_COUNT);
	CHECK(unimplemented > 40);
	/* An unknown ID is not a malformed message: answered, not counted or logged. */
	uint32_t malformed = hlos_client.stats.malformed;
	fx_reset_captures();
	CHECK_EQ(call(&hlos_client, &hlos_q, 15, 0xdeadbeefU, NULL, 0), RM_ERROR_UNIMPLEMENTED);
	CHECK_EQ(hlos_client.stats.malformed, malformed);
	CHECK_EQ(fx_log_lines, 0);
}

/* --- fragmentation ----------------------------------------------------------------------------- */

static void
test_max_continuations(void)
{
	setup();
	/* 62 continuations: the largest request, a console write of 14616 - 4 bytes. */
	static char text[RM_RPC_MAX_PAYLOAD];
	memset(text, 'z', sizeof(text));
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_CONSOLE_OPEN, 0, 0), RM_OK);
	size_t n = RM_RPC_MAX_PAYLOAD - RM_RPC_CONSOLE_WRITE_REQUEST_SIZE;
	fx_reset_captures();
	CHECK_EQ(console_write(&child_client, &child_q, 0, text, n, n), RM_OK);
	CHECK_EQ(fx_console_len, n);

	/* A REQUEST announcing 63 continuations is answered MSG_INVALID at once; what follows is
	 * continuations without a request (dropped, unanswered). */
	uint8_t frag[RM_RPC_MESSAGE_SIZE] = { 0 };
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, 63, 0x4242, RM_RPC_VM_CONSOLE_WRITE);
	rpc_client_receive(&child_client, frag, sizeof(frag));
	CHECK(fx_next_message(&child_q, &msg));
	CHECK_EQ(msg.seq, 0x4242);
	CHECK_EQ(le32_load(msg.payload), RM_ERROR_MSG_INVALID);
	for (unsigned i = 0; i < 63; i++) {
		fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, 63, 0x4242,
			  RM_RPC_VM_CONSOLE_WRITE);
		rpc_client_receive(&child_client, frag, sizeof(frag));
	}
	expect_no_output(&child_q);
	CHECK_EQ(fx_console_len, n);
	CHECK_EQ(child_client.stats.malformed, 64);
	/* The largest notification: 63 fragments out. */
	static uint8_t big[RM_RPC_MAX_PAYLOAD];
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t)i;
	}
	CHECK_OK(rpc_client_notify(&hlos_client, RM_RPC_NOTIFY_VM_CONSOLE_CHARS, big, sizeof(big)));
	CHECK(fx_next_message(&hlos_q, &msg));
	CHECK_EQ(msg.type, RM_RPC_TYPE_NOTIFICATION);
	CHECK_EQ(msg.fragments, 63);
	CHECK_EQ(msg.len, sizeof(big));
	CHECK(memcmp(msg.payload, big, sizeof(big)) == 0);
	CHECK_ERR(rpc_client_notify(&hlos_client, 1, big, sizeof(big) + 1), ERROR_ARGUMENT_SIZE);
	expect_no_output(&hlos_q);
}

static void
test_interleaved_sequence_numbers(void)
{
	setup();
	static const uint16_t seqs[] = { 0, 1, 0xffff, 7, 7, 0x8000, 2 };
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		fx_request(&hlos_client, seqs[i], i % 2 ? RM_RPC_VM_GET_VMID : RM_RPC_VM_HOST_GET_TYPE,
			   NULL, 0);
	}
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		CHECK(fx_next_message(&hlos_q, &msg));
		CHECK_EQ(msg.seq, seqs[i]);
		CHECK_EQ(msg.msg_id, i % 2 ? RM_RPC_VM_GET_VMID : RM_RPC_VM_HOST_GET_TYPE);
		CHECK_EQ(le32_load(&msg.payload[4]), i % 2 ? HLOS : RM_HOST_TYPE);
	}
	expect_no_output(&hlos_q);
}

/* VM_ALLOCATE of `wanted` by `c`: its rm_error, and the VMID it gave in *vmid (0 if none). */
static uint32_t
allocate(rpc_client_t *c, fx_queue_t *q, uint16_t wanted, uint16_t *vmid)
{
	uint32_t err = call_vmid(c, q, RM_RPC_VM_ALLOCATE, wanted, 0);
	*vmid = 0;
	if (err == RM_OK) {
		CHECK_EQ(msg.len, 4 + RM_RPC_VM_ALLOCATE_REPLY_SIZE);
		CHECK_EQ(le16_load(&msg.payload[4 + RM_RPC_VM_ALLOCATE_REPLY_RES0_OFF]), 0);
		*vmid = le16_load(&msg.payload[4 + RM_RPC_VM_ALLOCATE_REPLY_VMID_OFF]);
	} else {
		CHECK_EQ(msg.len, 4);
	}
	return err;
}

static void
test_vm_allocate(void)
{
	setup();
	uint16_t v = 0, w = 0;
	/* Dynamic: the first free VMID of 0x80-0xbf (CHILD and STRANGER hold 0x80 and 0x81), in
	 * state LOAD, owned by the caller, with nothing sent but the reply. */
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0, &v), RM_OK);
	CHECK_EQ(v, 0x82);
	const rm_vm_t *vm = rm_vm_lookup(v);
	CHECK(vm != NULL);
	CHECK_EQ(vm->owner, HLOS);
	CHECK_EQ(vm->vm_state, RM_VM_STATE_LOAD);
	CHECK_EQ(vm->rpc, NULL);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_STATE, v, 0), RM_OK);
	CHECK_EQ(le32_load(&msg.payload[4]), RM_VM_STATE_LOAD);
	/* Its owner only: neither a stranger nor a VM it does not own may ask. */
	CHECK_EQ(call_vmid(&stranger_client, &stranger_q, RM_RPC_VM_GET_STATE, v, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_GET_STATE, v, 0), RM_ERROR_DENIED);
	/* A named VMID: free and dynamic is given; taken, static or outside the range is not. */
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0xbf, &w), RM_OK);
	CHECK_EQ(w, 0xbf);
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0xbf, &w), RM_ERROR_IN_USE);
	CHECK_EQ(allocate(&hlos_client, &hlos_q, CHILD, &w), RM_ERROR_IN_USE);
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0xc0, &w), RM_ERROR_VMID_INVALID);
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0x7f, &w), RM_ERROR_VMID_INVALID);
	CHECK_EQ(allocate(&hlos_client, &hlos_q, RM_VMID_RM, &w), RM_ERROR_VMID_INVALID);
	CHECK_EQ(allocate(&hlos_client, &hlos_q, HLOS, &w), RM_ERROR_VMID_INVALID);
	/* Only the primary VM allocates: a hostile VM cannot fill the registry. */
	CHECK_EQ(allocate(&child_client, &child_q, 0, &w), RM_ERROR_DENIED);
	CHECK_EQ(allocate(&stranger_client, &stranger_q, 0x90, &w), RM_ERROR_DENIED);
	CHECK_EQ(rm_vm_lookup(0x90), NULL);
	/* Malformed: a reserved field, short and long payloads. */
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_ALLOCATE, 0, 1), RM_ERROR_MSG_INVALID);
	uint8_t longer[5] = { 0 };
	CHECK_EQ(call(&hlos_client, &hlos_q, 4, RM_RPC_VM_ALLOCATE, longer, 2), RM_ERROR_MSG_INVALID);
	CHECK_EQ(call(&hlos_client, &hlos_q, 4, RM_RPC_VM_ALLOCATE, longer, 5), RM_ERROR_MSG_INVALID);
	CHECK_EQ(call(&hlos_client, &hlos_q, 4, RM_RPC_VM_ALLOCATE, NULL, 0), RM_ERROR_MSG_INVALID);
	/* Until the registry (RM_MAX_VMS records) is full: then RM_ERROR_NORESOURCE. */
	unsigned given = 0;
	while (allocate(&hlos_client, &hlos_q, 0, &w) == RM_OK) {
		given++;
	}
	CHECK_EQ(le32_load(msg.payload), RM_ERROR_NORESOURCE);
	CHECK_EQ(given, RM_MAX_VMS - 5U); /* HLOS, CHILD, STRANGER, 0x82 and 0xbf */
	expect_no_output(&hlos_q);
}

static void
test_vm_deallocate(void)
{
	setup();
	uint16_t v = 0;
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0, &v), RM_OK);
	/* Not its owner (another VM, or the VM itself by VMID 0); no such VM. */
	CHECK_EQ(call_vmid(&stranger_client, &stranger_q, RM_RPC_VM_DEALLOCATE, v, 0),
		 RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_DEALLOCATE, v, 0), RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&child_client, &child_q, RM_RPC_VM_DEALLOCATE, 0, 0), RM_ERROR_DENIED);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, 0x99, 0),
		 RM_ERROR_VMID_INVALID);
	CHECK(rm_vm_lookup(v) != NULL);
	/* Malformed. */
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, v, 1), RM_ERROR_MSG_INVALID);
	uint8_t shorter[2] = { (uint8_t)v, 0 };
	CHECK_EQ(call(&hlos_client, &hlos_q, 4, RM_RPC_VM_DEALLOCATE, shorter, 2),
		 RM_ERROR_MSG_INVALID);
	CHECK(rm_vm_lookup(v) != NULL);
	/* The wrong state: a VM that was built and runs (the owner's static CHILD), or one that
	 * is past LOAD without having been reset. */
	child_vm->vm_state = RM_VM_STATE_RUNNING;
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, CHILD, 0), RM_ERROR_VM_STATE);
	static const uint8_t refused[] = { RM_VM_STATE_INIT, RM_VM_STATE_READY, RM_VM_STATE_RUNNING,
					   RM_VM_STATE_PAUSED, RM_VM_STATE_INIT_FAILED,
					   RM_VM_STATE_EXITED, RM_VM_STATE_RESETTING };
	rm_vm_t *vm = rm_vm_lookup(v);
	for (size_t i = 0; i < sizeof(refused); i++) {
		vm->vm_state = refused[i];
		CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, v, 0),
			 RM_ERROR_VM_STATE);
		CHECK(rm_vm_lookup(v) == vm);
	}
	/* LOAD (nothing built) and RESET free it; its VMID is given out again. */
	vm->vm_state = RM_VM_STATE_RESET;
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, v, 0), RM_OK);
	CHECK_EQ(msg.len, 4);
	CHECK_EQ(rm_vm_lookup(v), NULL);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_GET_STATE, v, 0), RM_ERROR_VMID_INVALID);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, v, 0), RM_ERROR_VMID_INVALID);
	uint16_t again = 0;
	CHECK_EQ(allocate(&hlos_client, &hlos_q, 0, &again), RM_OK);
	CHECK_EQ(again, v);
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_DEALLOCATE, again, 0), RM_OK);
	CHECK_EQ(rm_vm_lookup(again), NULL);
	expect_no_output(&hlos_q);
	expect_no_output(&stranger_q);
}

static void
test_vm_state_machine(void)
{
	/* rm-rpc.md §5, every pair of states: exactly these changes are allowed. */
	static const uint8_t allowed[][2] = {
		{ RM_VM_STATE_NONE, RM_VM_STATE_LOAD },
		{ RM_VM_STATE_LOAD, RM_VM_STATE_AUTH },
		{ RM_VM_STATE_LOAD, RM_VM_STATE_INIT },
		{ RM_VM_STATE_AUTH, RM_VM_STATE_INIT },
		{ RM_VM_STATE_RESET, RM_VM_STATE_INIT },
		{ RM_VM_STATE_INIT, RM_VM_STATE_READY },
		{ RM_VM_STATE_READY, RM_VM_STATE_RUNNING },
		{ RM_VM_STATE_PAUSED, RM_VM_STATE_RUNNING },
		{ RM_VM_STATE_RUNNING, RM_VM_STATE_PAUSED },
		{ RM_VM_STATE_RUNNING, RM_VM_STATE_EXITED },
		{ RM_VM_STATE_PAUSED, RM_VM_STATE_EXITED },
		{ RM_VM_STATE_EXITED, RM_VM_STATE_RESETTING },
		{ RM_VM_STATE_READY, RM_VM_STATE_RESETTING },
		{ RM_VM_STATE_INIT_FAILED, RM_VM_STATE_RESETTING },
		{ RM_VM_STATE_RESETTING, RM_VM_STATE_RESET },
		{ RM_VM_STATE_RESET, RM_VM_STATE_NONE },
		{ RM_VM_STATE_INIT, RM_VM_STATE_INIT_FAILED },
		{ RM_VM_STATE_READY, RM_VM_STATE_INIT_FAILED },
		{ RM_VM_STATE_LOAD, RM_VM_STATE_INIT_FAILED },
		{ RM_VM_STATE_AUTH, RM_VM_STATE_INIT_FAILED },
		{ RM_VM_STATE_RESET, RM_VM_STATE_INIT_FAILED },
	};
	unsigned valid = 0;
	for (unsigned from = 0; from < 256U; from++) {
		for (unsigned to = 0; to < 256U; to++) {
			bool want = false;
			for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
				want = want || (allowed[i][0] == from && allowed[i][1] == to);
			}
			bool got = rm_vm_state_change_valid((uint8_t)from, (uint8_t)to);
			if (got != want) {
				fprintf(stderr, "state change %u -> %u: %s, want %s\n", from, to,
					got ? "allowed" : "refused", want ? "allowed" : "refused");
			}
			CHECK_EQ(got, want);
			valid += got ? 1U : 0U;
		}
	}
	CHECK_EQ(valid, sizeof(allowed) / sizeof(allowed[0]));
	CHECK(rm_vm_may_deallocate(RM_VM_STATE_RESET));
	CHECK(rm_vm_may_deallocate(RM_VM_STATE_LOAD));
	CHECK(rm_vm_may_deallocate(RM_VM_STATE_AUTH));
	CHECK(!rm_vm_may_deallocate(RM_VM_STATE_RUNNING));
	CHECK(!rm_vm_may_deallocate(RM_VM_STATE_NONE));
}

/* --- malformed input ---------------------------------------------------------------------------- */

/* A request of three fragments whose first fragment has been delivered. */
static void
start_three_fragment_write(rpc_client_t *c, uint16_t seq)
{
	uint8_t frag[RM_RPC_MESSAGE_SIZE] = { 0 };
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, 2, seq, RM_RPC_VM_CONSOLE_WRITE);
	le16_store(&frag[RM_RPC_HEADER_SIZE + 2], 3 * 232 - 4);
	rpc_client_receive(c, frag, sizeof(frag));
	CHECK(c->rx_active);
}

/* After a broken multi-fragment request: its MSG_INVALID reply came, state is reset, and the
 * next request works. */
static void
expect_broken_then_recovered(rpc_client_t *c, fx_queue_t *q, uint16_t seq)
{
	CHECK(fx_next_message(q, &msg));
	CHECK_EQ(msg.type, RM_RPC_TYPE_REPLY);
	CHECK_EQ(msg.seq, seq);
	CHECK_EQ(msg.msg_id, RM_RPC_VM_CONSOLE_WRITE);
	CHECK_EQ(le32_load(msg.payload), RM_ERROR_MSG_INVALID);
	expect_no_output(q);
	CHECK(!c->rx_active);
	CHECK_EQ(call(c, q, 0x55, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
}

static void
test_unanswerable_fragments(void)
{
	setup();
	uint8_t frag[RM_RPC_MESSAGE_SIZE] = { 0 };
	/* Truncated header: nothing to answer. */
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, 0, 1, RM_RPC_VM_GET_VMID);
	for (size_t len = 0; len < RM_RPC_HEADER_SIZE; len++) {
		rpc_client_receive(&hlos_client, frag, len);
	}
	/* Another API version or header size. */
	static const uint8_t apis[] = { 0x00, 0x11, 0x22, 0x31, 0x20, 0xff };
	for (size_t i = 0; i < sizeof(apis); i++) {
		fx_header(frag, apis[i], RM_RPC_TYPE_REQUEST, 0, 2, RM_RPC_VM_GET_VMID);
		rpc_client_receive(&hlos_client, frag, RM_RPC_HEADER_SIZE);
	}
	/* Replies and notifications sent to the RM. */
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REPLY, 0, 3, RM_RPC_VM_GET_VMID);
	rpc_client_receive(&hlos_client, frag, 12);
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_NOTIFICATION, 0, 4, RM_RPC_NOTIFY_VM_STATUS);
	rpc_client_receive(&hlos_client, frag, 16);
	/* A continuation with no request started. */
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, 1, 5, RM_RPC_VM_GET_VMID);
	rpc_client_receive(&hlos_client, frag, 20);
	expect_no_output(&hlos_q);
	CHECK_EQ(hlos_client.stats.malformed, 8 + 6 + 2 + 1);
	CHECK_EQ(call(&hlos_client, &hlos_q, 6, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
}

static void
test_answerable_malformed_requests(void)
{
	setup();
	uint8_t frag[RM_RPC_MESSAGE_SIZE + 1] = { 0 };
	/* An oversized fragment: its header is readable, so it is answered. */
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, 0, 21, RM_RPC_VM_GET_VMID);
	rpc_client_receive(&hlos_client, frag, sizeof(frag));
	CHECK(fx_next_message(&hlos_q, &msg));
	CHECK_EQ(msg.seq, 21);
	CHECK_EQ(le32_load(msg.payload), RM_ERROR_MSG_INVALID);
	expect_no_output(&hlos_q);
}

static void
test_broken_multi_fragment_requests(void)
{
	setup();
	uint8_t frag[RM_RPC_MESSAGE_SIZE + 1] = { 0 };
	/* Continuations with another msg_id, seq, or continuation count; one too long, one
	 * truncated; a bad API byte, a reply and a notification in the middle. */
	for (unsigned kind = 0; kind < 8; kind++) {
		start_three_fragment_write(&hlos_client, (uint16_t)(0x100 + kind));
		uint16_t seq = (uint16_t)(0x100 + kind);
		uint32_t id = RM_RPC_VM_CONSOLE_WRITE;
		uint8_t count = 2, type = RM_RPC_TYPE_CONTINUED, api = RM_RPC_API_BYTE;
		size_t len = RM_RPC_MESSAGE_SIZE;
		switch (kind) {
		case 0: id = RM_RPC_VM_GET_STATE; break;
		case 1: seq++; break;
		case 2: count = 3; break;
		case 3: len = RM_RPC_MESSAGE_SIZE + 1; break;
		case 4: len = 5; break;
		case 5: api = 0x22; break;
		case 6: type = RM_RPC_TYPE_REPLY; break;
		default: type = RM_RPC_TYPE_NOTIFICATION; break;
		}
		fx_header(frag, api, type, count, seq, id);
		rpc_client_receive(&hlos_client, frag, len);
		expect_broken_then_recovered(&hlos_client, &hlos_q, (uint16_t)(0x100 + kind));
		/* The rest of the broken message: continuations without a request, unanswered. */
		fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, 2, (uint16_t)(0x100 + kind),
			  RM_RPC_VM_CONSOLE_WRITE);
		rpc_client_receive(&hlos_client, frag, RM_RPC_MESSAGE_SIZE);
		expect_no_output(&hlos_q);
	}
	/* A new request before the last one is complete: the old one is answered MSG_INVALID,
	 * the new one normally. */
	start_three_fragment_write(&hlos_client, 0x200);
	fx_request(&hlos_client, 0x201, RM_RPC_VM_GET_VMID, NULL, 0);
	CHECK(fx_next_message(&hlos_q, &msg));
	CHECK_EQ(msg.seq, 0x200);
	CHECK_EQ(le32_load(msg.payload), RM_ERROR_MSG_INVALID);
	CHECK(fx_next_message(&hlos_q, &msg));
	CHECK_EQ(msg.seq, 0x201);
	CHECK_EQ(le32_load(msg.payload), RM_OK);
	expect_no_output(&hlos_q);
}

static void
test_logging_is_rate_limited(void)
{
	setup();
	uint8_t frag[RM_RPC_HEADER_SIZE];
	fx_header(frag, 0x99, RM_RPC_TYPE_REQUEST, 0, 1, RM_RPC_VM_GET_VMID);
	for (unsigned i = 0; i < 100000; i++) {
		rpc_client_receive(&hlos_client, frag, sizeof(frag));
	}
	CHECK_EQ(hlos_client.stats.malformed, 100000);
	/* RPC_LOG_BURST lines, then one count line per power of two from 16 to 65536. */
	CHECK_EQ(fx_log_lines, RPC_LOG_BURST + 13);
	CHECK(strstr(fx_last_log, "65536 problems") != NULL);
	/* Another client's budget is its own. */
	fx_reset_captures();
	rpc_client_receive(&child_client, frag, sizeof(frag));
	CHECK_EQ(fx_log_lines, 1);
	CHECK(strstr(fx_last_log, "bad API byte") != NULL);
}

static void
test_clients_do_not_disturb_each_other(void)
{
	setup();
	CHECK_EQ(call_vmid(&hlos_client, &hlos_q, RM_RPC_VM_CONSOLE_OPEN, 0, 0), RM_OK);
	start_three_fragment_write(&hlos_client, 0x301);
	/* Other clients: garbage, a request, a multi-fragment request of their own. */
	uint8_t junk[3] = { 1, 2, 3 };
	rpc_client_receive(&child_client, junk, sizeof(junk));
	CHECK_EQ(call(&child_client, &child_q, 0x301, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
	start_three_fragment_write(&stranger_client, 0x301);
	/* HLOS's request is undisturbed: finish it. */
	uint8_t frag[RM_RPC_MESSAGE_SIZE];
	memset(frag, 'q', sizeof(frag));
	for (unsigned i = 0; i < 2; i++) {
		fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, 2, 0x301, RM_RPC_VM_CONSOLE_WRITE);
		rpc_client_receive(&hlos_client, frag, sizeof(frag));
	}
	CHECK(fx_next_message(&hlos_q, &msg));
	CHECK_EQ(msg.seq, 0x301);
	CHECK_EQ(le32_load(msg.payload), RM_OK);
	CHECK_EQ(fx_console_len, 3 * 232 - 4);
	CHECK(fx_console_vm == hlos_vm);
	CHECK(stranger_client.rx_active);
	CHECK_EQ(hlos_client.stats.malformed, 0);
	CHECK_EQ(child_client.stats.malformed, 1);
	CHECK_EQ(stranger_client.stats.malformed, 0);
	expect_no_output(&stranger_q);
}

/* --- outbox ----------------------------------------------------------------------------------- */

static void
test_backpressure(void)
{
	setup();
	child_q.full = true;
	/* Resources reply of 6 entries = 2 fragments, then three one-fragment replies. */
	for (unsigned i = 0; i < 6; i++) {
		rm_hyp_resource_t r = resource(i);
		CHECK_OK(rm_vm_add_resource(child_vm, &r));
	}
	uint8_t req[4] = { 0 };
	fx_request(&child_client, 1, RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req));
	for (uint16_t s = 2; s < 5; s++) {
		fx_request(&child_client, s, RM_RPC_VM_GET_VMID, NULL, 0);
	}
	CHECK_EQ(child_q.count, 0);
	CHECK_EQ(child_client.out_count, 5);
	CHECK(!rpc_client_flush(&child_client));
	/* Other clients are served meanwhile. */
	CHECK_EQ(call(&hlos_client, &hlos_q, 1, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
	child_q.full = false;
	CHECK(rpc_client_flush(&child_client));
	CHECK(rpc_client_idle(&child_client));
	CHECK(fx_next_message(&child_q, &msg));
	CHECK_EQ(msg.seq, 1);
	CHECK_EQ(msg.len, 4 + 4 + 6 * 44);
	for (uint16_t s = 2; s < 5; s++) {
		CHECK(fx_next_message(&child_q, &msg));
		CHECK_EQ(msg.seq, s);
	}
	expect_no_output(&child_q);
	CHECK_EQ(child_client.stats.dropped_messages, 0);
}

static void
test_outbox_overflow_drops_whole_messages(void)
{
	setup();
	for (unsigned i = 0; i < 6; i++) {
		rm_hyp_resource_t r = resource(i);
		CHECK_OK(rm_vm_add_resource(child_vm, &r));
	}
	child_q.full = true;
	uint8_t req[4] = { 0 };
	unsigned queued = 0;
	uint16_t seq = 0;
	/* Two-fragment replies until one does not fit (RPC_OUTBOX_FRAGMENTS is even, so add one
	 * single-fragment reply first to leave a one-fragment hole). */
	fx_request(&child_client, seq++, RM_RPC_VM_GET_VMID, NULL, 0);
	while (child_client.out_count + 2 <= RPC_OUTBOX_FRAGMENTS) {
		fx_request(&child_client, seq++, RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req));
		queued++;
	}
	CHECK_EQ(child_client.out_count, RPC_OUTBOX_FRAGMENTS - 1);
	fx_reset_captures();
	fx_request(&child_client, 0x999, RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req));
	CHECK_EQ(child_client.out_count, RPC_OUTBOX_FRAGMENTS - 1); /* not half of it */
	CHECK_EQ(child_client.stats.dropped_messages, 1);
	CHECK_EQ(fx_log_lines, 1);
	CHECK(strstr(fx_last_log, "outbox full") != NULL);
	/* A one-fragment reply still fits; then a notification does not and is refused. */
	fx_request(&child_client, seq++, RM_RPC_VM_GET_VMID, NULL, 0);
	CHECK_EQ(child_client.out_count, RPC_OUTBOX_FRAGMENTS);
	uint8_t note[8] = { 0 };
	CHECK_ERR(rpc_client_notify(&child_client, RM_RPC_NOTIFY_VM_STATUS, note, sizeof(note)),
		  ERROR_MSGQUEUE_FULL);
	child_q.full = false;
	CHECK(rpc_client_flush(&child_client));
	unsigned messages = 0;
	while (fx_next_message(&child_q, &msg)) {
		CHECK(msg.seq != 0x999);
		messages++;
	}
	CHECK_EQ(messages, queued + 2);
	/* The notification counter did not advance for the refused one. */
	CHECK_OK(rpc_client_notify(&child_client, RM_RPC_NOTIFY_VM_STATUS, note, sizeof(note)));
	CHECK(fx_next_message(&child_q, &msg));
	CHECK_EQ(msg.seq, 0);
}

/* The owner reads nothing while the VM it owns sets its status 100 times and writes 200
 * console bytes: the status notification waiting in the outbox is updated in place, console
 * notifications stop at the reply reserve (logged, rate-limited), and the owner's next reply
 * still fits and arrives after every notification queued before it. */
static void
test_notifications_never_displace_replies(void)
{
	setup();
	child_vm->console_open = true;
	child_vm->console_owner_open = true;
	hlos_q.full = true;
	uint8_t st[RM_RPC_VM_SET_STATUS_REQUEST_SIZE] = { RM_VM_STATE_NONE, RM_OS_STATE_RUN, 0, 0 };
	for (uint16_t i = 1; i <= 100U; i++) {
		le16_store(&st[RM_RPC_VM_SET_STATUS_REQUEST_APP_STATUS_OFF], i);
		CHECK_EQ(call(&child_client, &child_q, i, RM_RPC_VM_SET_STATUS, st, sizeof(st)),
			 RM_OK);
	}
	CHECK_EQ(hlos_client.out_count, 1);
	CHECK_EQ(hlos_client.stats.notifications, 1);
	CHECK_EQ(hlos_client.stats.coalesced, 99);
	fx_reset_captures();
	uint8_t wr[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + 1U] = { 0, 0, 1, 0, 'x' };
	for (uint16_t i = 0; i < 200U; i++) {
		CHECK_EQ(call(&child_client, &child_q, (uint16_t)(200U + i), RM_RPC_VM_CONSOLE_WRITE,
			      wr, sizeof(wr)),
			 RM_OK);
	}
	CHECK_EQ(hlos_client.out_count, RPC_OUTBOX_FRAGMENTS - RPC_REPLY_RESERVE);
	CHECK_EQ(hlos_client.stats.dropped_messages, 200U - (RM_RPC_MAX_FRAGMENTS - 1U));
	CHECK(fx_log_lines <= RPC_LOG_BURST + 8U);
	/* The owner's reply has its room. */
	fx_request(&hlos_client, 0x777, RM_RPC_VM_GET_VMID, NULL, 0);
	CHECK_EQ(hlos_client.out_count, RPC_OUTBOX_FRAGMENTS - RPC_REPLY_RESERVE + 1U);
	hlos_q.full = false;
	CHECK(rpc_client_flush(&hlos_client));
	unsigned status = 0, console = 0;
	bool replied = false;
	while (fx_next_message(&hlos_q, &msg)) {
		CHECK(!replied); /* the reply comes last */
		if (msg.type == RM_RPC_TYPE_REPLY) {
			CHECK_EQ(msg.seq, 0x777);
			replied = true;
		} else if (msg.msg_id == RM_RPC_NOTIFY_VM_STATUS) {
			CHECK_EQ(le16_load(&msg.payload[RM_RPC_NOTIFY_VM_STATUS_APP_STATUS_OFF]), 100);
			status++;
		} else {
			console++;
		}
	}
	CHECK(replied);
	CHECK_EQ(status, 1);
	CHECK_EQ(console, RM_RPC_MAX_FRAGMENTS - 1U);
	/* Sent, it is no longer updated: the next change is a new notification. */
	CHECK_EQ(call(&child_client, &child_q, 1, RM_RPC_VM_SET_STATUS, st, sizeof(st)), RM_OK);
	CHECK(fx_next_message(&hlos_q, &msg));
	CHECK_EQ(msg.msg_id, RM_RPC_NOTIFY_VM_STATUS);
}

static void
test_transport_error_drops_one_message(void)
{
	setup();
	for (unsigned i = 0; i < 6; i++) {
		rm_hyp_resource_t r = resource(i);
		CHECK_OK(rm_vm_add_resource(child_vm, &r));
	}
	child_q.full = true;
	uint8_t req[4] = { 0 };
	fx_request(&child_client, 1, RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req));
	fx_request(&child_client, 2, RM_RPC_VM_GET_VMID, NULL, 0);
	child_q.full = false;
	child_q.fail_once = ERROR_ARGUMENT_INVALID;
	fx_reset_captures();
	CHECK(rpc_client_flush(&child_client));
	CHECK_EQ(child_client.stats.dropped_messages, 1);
	CHECK(strstr(fx_last_log, "send failed") != NULL);
	/* Both fragments of the first reply are gone; the second reply arrives whole. */
	CHECK(fx_next_message(&child_q, &msg));
	CHECK_EQ(msg.seq, 2);
	expect_no_output(&child_q);
	/* A failure on a continuation drops the message's remainder only. */
	child_q.full = true;
	fx_request(&child_client, 3, RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req));
	fx_request(&child_client, 4, RM_RPC_VM_GET_VMID, NULL, 0);
	child_q.full = false;
	CHECK_OK(child_client.send(child_client.ctx, child_client.outbox[child_client.out_head].bytes,
				   child_client.outbox[child_client.out_head].len, false));
	child_client.out_head = (child_client.out_head + 1) % RPC_OUTBOX_FRAGMENTS;
	child_client.out_count--;
	child_q.fail_once = ERROR_CSPACE_CAP_NULL;
	CHECK(rpc_client_flush(&child_client));
	CHECK_EQ(child_client.stats.dropped_messages, 2);
	CHECK_EQ(child_q.count - child_q.taken, 2); /* the orphaned first fragment + reply 4 */
	CHECK_EQ(le16_load(&child_q.bytes[child_q.count - 1][RM_RPC_HEADER_SEQ_OFF]), 4);
}

/* --- notifications and the registry --------------------------------------------------------- */

static void
test_exit_notifications(void)
{
	setup();
	child_vm->vm_state = RM_VM_STATE_RUNNING;
	static const uint8_t reason[4] = { 0xde, 0xad, 0xbe, 0xef };
	rm_vm_exited(child_vm, RM_EXIT_TYPE_PLATFORM_OFF, reason, sizeof(reason));
	CHECK_EQ(child_vm->vm_state, RM_VM_STATE_EXITED);
	/* First NOTIFY_VM_STATUS (EXITED), then NOTIFY_VM_EXITED; notification seqs 0 and 1. */
	static const uint8_t status[] = { 0x21, 0x03, 0x00, 0x00, 0x08, 0x00, 0x10, 0x56,
					  0x80, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00 };
	static const uint8_t exited[] = { 0x21, 0x03, 0x01, 0x00, 0x01, 0x00, 0x10, 0x56, 0x80, 0x00,
					  0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef };
	CHECK_EQ(hlos_q.count, 2);
	CHECK_EQ(hlos_q.len[0], sizeof(status));
	CHECK(memcmp(hlos_q.bytes[0], status, sizeof(status)) == 0);
	CHECK_EQ(hlos_q.len[1], sizeof(exited));
	CHECK(memcmp(hlos_q.bytes[1], exited, sizeof(exited)) == 0);
	CHECK(hlos_q.push[0] && hlos_q.push[1]);
	expect_no_output(&child_q); /* nothing to the VM itself */
	/* A too-long reason is cut (and logged); no reason at all is fine. */
	static uint8_t long_reason[RM_VM_EXIT_REASON_MAX + 10];
	fx_reset_captures();
	rm_vm_exited(child_vm, RM_EXIT_TYPE_WATCHDOG_BITE, long_reason, sizeof(long_reason));
	CHECK_EQ(fx_log_lines, 1);
	CHECK_EQ(hlos_q.len[3], RM_RPC_HEADER_SIZE + RM_RPC_NOTIFY_VM_EXITED_SIZE + RM_VM_EXIT_REASON_MAX);
	CHECK_EQ(le32_load(&hlos_q.bytes[3][RM_RPC_HEADER_SIZE + 4]), RM_VM_EXIT_REASON_MAX);
	rm_vm_exited(child_vm, RM_EXIT_TYPE_VM_EXIT, NULL, 0);
	CHECK_EQ(hlos_q.len[5], RM_RPC_HEADER_SIZE + RM_RPC_NOTIFY_VM_EXITED_SIZE);
	CHECK_EQ(le16_load(&hlos_q.bytes[5][RM_RPC_HEADER_SEQ_OFF]), 5);
	/* A VM whose owner has no client: state recorded, nothing sent. */
	unsigned before = hlos_q.count;
	rm_vm_set_state(hlos_vm, RM_VM_STATE_RESET);
	rm_vm_exited(stranger_vm, RM_EXIT_TYPE_VM_EXIT, NULL, 0);
	CHECK_EQ(hlos_vm->vm_state, RM_VM_STATE_RESET);
	CHECK_EQ(stranger_vm->vm_state, RM_VM_STATE_EXITED);
	CHECK_EQ(hlos_q.count, before);
	expect_no_output(&stranger_q);
	/* rm_vm_set_state notifies RESET (what Linux waits for at teardown). */
	rm_vm_set_state(child_vm, RM_VM_STATE_RESET);
	CHECK_EQ(hlos_q.bytes[hlos_q.count - 1][RM_RPC_HEADER_SIZE + 4], RM_VM_STATE_RESET);
}

static void
test_notification_sequence_wraps(void)
{
	setup();
	uint8_t note[8] = { 0 };
	hlos_client.notify_seq = 0xfffe;
	for (unsigned i = 0; i < 3; i++) {
		CHECK_OK(rpc_client_notify(&hlos_client, RM_RPC_NOTIFY_VM_STATUS, note, sizeof(note)));
	}
	static const uint16_t want[] = { 0xfffe, 0xffff, 0 };
	for (unsigned i = 0; i < 3; i++) {
		CHECK(fx_next_message(&hlos_q, &msg));
		CHECK_EQ(msg.type, RM_RPC_TYPE_NOTIFICATION);
		CHECK_EQ(msg.seq, want[i]);
	}
	/* An empty notification is one bare header. */
	CHECK_OK(rpc_client_notify(&hlos_client, RM_RPC_NOTIFY_VM_SHUTDOWN, NULL, 0));
	CHECK_EQ(hlos_q.len[hlos_q.count - 1], RM_RPC_HEADER_SIZE);
	CHECK_EQ(hlos_client.stats.notifications, 4);
	hlos_q.taken = hlos_q.count;
	/* Replies use the request's seq and leave the notification counter alone. */
	CHECK_EQ(call(&hlos_client, &hlos_q, 0x1234, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
	CHECK_EQ(hlos_client.notify_seq, 2);
}

static void
test_registry(void)
{
	setup();
	CHECK(rm_vm_lookup(HLOS) == hlos_vm);
	CHECK(rm_vm_lookup(0x99) == NULL);
	CHECK(rm_vm_lookup(0) == NULL);
	CHECK(rm_vm_add(HLOS, "again", RM_VMID_RM) == NULL);
	CHECK(rm_vm_add(RM_VMID_HYP, "hyp", RM_VMID_RM) == NULL);
	CHECK_EQ(hlos_vm->vm_state, RM_VM_STATE_NONE);
	CHECK(hlos_vm->rpc == &hlos_client);
	CHECK(strcmp(hlos_vm->name, "linux") == 0);
	unsigned added = 3;
	while (rm_vm_add((uint16_t)(0x100 + added), "more", HLOS) != NULL) {
		added++;
	}
	CHECK_EQ(added, RM_MAX_VMS);
	CHECK(rm_vm_lookup(0x100 + RM_MAX_VMS - 1) != NULL);
	/* A VM that is not in the registry gets VMID_INVALID for what needs its record. */
	rpc_client_t orphan;
	fx_queue_t orphan_q = { 0 };
	rpc_client_init(&orphan, 0x77, fx_send, &orphan_q);
	uint8_t req[4] = { 0 };
	CHECK_EQ(call(&orphan, &orphan_q, 1, RM_RPC_VM_SET_STATUS, req, sizeof(req)),
		 RM_ERROR_VMID_INVALID);
	CHECK_EQ(call(&orphan, &orphan_q, 2, RM_RPC_VM_GET_STATE, req, sizeof(req)),
		 RM_ERROR_VMID_INVALID);
	CHECK_EQ(call(&orphan, &orphan_q, 3, RM_RPC_VM_GET_VMID, NULL, 0), RM_OK);
	CHECK_EQ(le32_load(&msg.payload[4]), 0x77);
}

/* --- generated traffic --------------------------------------------------------------------------- */

static uint64_t
rng_below(void *ctx, uint64_t n)
{
	return unit_rng_below(ctx, n);
}

static void
test_fuzz_100k_messages(void)
{
	unit_rng_t rng;
	unit_rng_seed(&rng, 0x52504331);
	fx_fuzz_stats_t stats = fx_fuzz_run((fx_source_t){ rng_below, &rng }, 100000);
	fprintf(stderr, "fuzz: %u messages in %u fragments, %u requests started, %u replies in %u fragments\n",
	       stats.messages, stats.fragments_in, stats.requests_started, stats.replies,
	       stats.fragments);
	CHECK_EQ(stats.messages, 100000);
	CHECK(stats.fragments_in > 10U * stats.messages);
	CHECK(stats.requests_started > 80000);
	/* Every request header got its reply, but for one left half-reassembled per client. */
	CHECK(stats.replies + 2 >= stats.requests_started);
}

static const unit_test_t tests[] = {
	UNIT_TEST(test_get_vmid_bytes),
	UNIT_TEST(test_host_get_type),
	UNIT_TEST(test_get_state_permissions),
	UNIT_TEST(test_vm_allocate),
	UNIT_TEST(test_vm_deallocate),
	UNIT_TEST(test_vm_state_machine),
	UNIT_TEST(test_set_status_notifies_owner),
	UNIT_TEST(test_hyp_resources),
	UNIT_TEST(test_console),
	UNIT_TEST(test_unimplemented_ids),
	UNIT_TEST(test_max_continuations),
	UNIT_TEST(test_interleaved_sequence_numbers),
	UNIT_TEST(test_unanswerable_fragments),
	UNIT_TEST(test_answerable_malformed_requests),
	UNIT_TEST(test_broken_multi_fragment_requests),
	UNIT_TEST(test_logging_is_rate_limited),
	UNIT_TEST(test_clients_do_not_disturb_each_other),
	UNIT_TEST(test_backpressure),
	UNIT_TEST(test_outbox_overflow_drops_whole_messages),
	UNIT_TEST(test_notifications_never_displace_replies),
	UNIT_TEST(test_transport_error_drops_one_message),
	UNIT_TEST(test_exit_notifications),
	UNIT_TEST(test_notification_sequence_wraps),
	UNIT_TEST(test_registry),
	UNIT_TEST(test_fuzz_100k_messages),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
