/* rpc.c - the IPC test's RM RPC phase: identity, host type, state and status, the VM's hypervisor
 * resources against its device tree, unknown IDs, the RM console, and the owner's notifications. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "format.h"
#include "guest.h"
#include "le_bytes.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"
#include "util_string.h"
#include "vdevice.h"

#include "ipc_test.h"

/* An ID in the VM family that Gunyah does not define. */
#define UNKNOWN_MSG_ID 0x5600ffffU
/* A VMID no VM has (dynamic VMIDs start at 0x80; the test has two VMs). */
#define NO_SUCH_VMID 0x1234U
/* What each VM reports as its app_status: recognisable, and different for the two. */
#define APP_STATUS(vmid) ((uint16_t)(0xa000U | (vmid)))
/* The DT's cap placeholder (tools/bothy/ipc.py), which the RM must have overwritten. */
#define CAP_PLACEHOLDER 0xffffffffffffffffUL
#define MAX_RESOURCES 16U
#define LONG_WRITE_LINES 4U

static uint8_t reply[RM_RPC_MAX_PAYLOAD];

/* One request whose transport must work: the reply's RM error word; the data is in `reply`. */
static uint32_t
call(uint32_t msg_id, const void *payload, size_t len, size_t *reply_len)
{
	uint32_t rm_error = 0;
	error_t err = rm_client_call(&T.rm, msg_id, payload, len, &rm_error, reply, sizeof(reply),
				     reply_len);
	if (err != OK) {
		guest_printf("%s: RM RPC 0x%x: transport error %d\n", CHECK_PREFIX, msg_id, (int)err);
		guest_fail("RM RPC transport failed");
	}
	return rm_error;
}

static void
vmid_request(uint8_t req[RM_RPC_VMID_REQUEST_SIZE], uint16_t vmid)
{
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], vmid);
	le16_store(&req[RM_RPC_VMID_REQUEST_RES0_OFF], 0);
}

static void
identity_checks(void)
{
	size_t n;
	check_value("VM_GET_VMID: RM_OK", call(RM_RPC_VM_GET_VMID, NULL, 0, &n), RM_OK);
	check_value("VM_GET_VMID: reply size", n, RM_RPC_VMID_REPLY_SIZE);
	check_value("VM_GET_VMID = the DT's qcom,vmid",
		    (uint16_t)le32_load(&reply[RM_RPC_VMID_REPLY_VMID_OFF]), T.vmid);
	check_value("VM_HOST_GET_TYPE: RM_OK", call(RM_RPC_VM_HOST_GET_TYPE, NULL, 0, &n), RM_OK);
	check_value("VM_HOST_GET_TYPE: reply size", n, RM_RPC_HOST_TYPE_REPLY_SIZE);
	check_value("VM_HOST_GET_TYPE = AArch64 Gunyah with RM, version 1",
		    le32_load(&reply[RM_RPC_HOST_TYPE_REPLY_HOST_TYPE_OFF]), RM_HOST_TYPE);
	check_value("VM_GET_VMID with a payload: RM_ERROR_MSG_INVALID",
		    call(RM_RPC_VM_GET_VMID, "\0\0\0", 4, &n), RM_ERROR_MSG_INVALID);
	check_value("unknown message ID: RM_ERROR_UNIMPLEMENTED",
		    call(UNKNOWN_MSG_ID, NULL, 0, &n), RM_ERROR_UNIMPLEMENTED);
	check_value("unknown message ID: error word only", n, 0);
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	vmid_request(req, 0);
	check_value("VM_GET_PEERS (not implemented): RM_ERROR_UNIMPLEMENTED",
		    call(RM_RPC_VM_GET_PEERS, NULL, 0, &n), RM_ERROR_UNIMPLEMENTED);
	check_value("VM_START (not implemented): RM_ERROR_UNIMPLEMENTED",
		    call(RM_RPC_VM_START, req, sizeof(req), &n), RM_ERROR_UNIMPLEMENTED);
}

/* VM_GET_STATE of `vmid`: the RM error; the state bytes are in `reply`. */
static uint32_t
get_state(uint16_t vmid)
{
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	vmid_request(req, vmid);
	size_t n;
	uint32_t e = call(RM_RPC_VM_GET_STATE, req, sizeof(req), &n);
	if (e == RM_OK && n != RM_RPC_VM_STATE_REPLY_SIZE) {
		check_value("VM_GET_STATE: reply size", n, RM_RPC_VM_STATE_REPLY_SIZE);
	}
	return e;
}

static void
state_checks(void)
{
	check_value("VM_GET_STATE(0 = self): RM_OK", get_state(0), RM_OK);
	check_value("VM_GET_STATE(self): RUNNING", reply[RM_RPC_VM_STATE_REPLY_VM_STATE_OFF],
		    RM_VM_STATE_RUNNING);
	check_value("VM_GET_STATE(own VMID): RM_OK", get_state(T.vmid), RM_OK);
	check_value("VM_GET_STATE(own VMID): RUNNING", reply[RM_RPC_VM_STATE_REPLY_VM_STATE_OFF],
		    RM_VM_STATE_RUNNING);
	if (T.ping) {
		check_value("VM_GET_STATE(the secondary it owns): RM_OK", get_state(T.peer_vmid), RM_OK);
		check_value("VM_GET_STATE(the secondary): RUNNING",
			    reply[RM_RPC_VM_STATE_REPLY_VM_STATE_OFF], RM_VM_STATE_RUNNING);
	} else {
		check_value("VM_GET_STATE(the primary, not owned): RM_ERROR_DENIED",
			    get_state(T.peer_vmid), RM_ERROR_DENIED);
	}
	check_value("VM_GET_STATE(no such VM): RM_ERROR_VMID_INVALID", get_state(NO_SUCH_VMID),
		    RM_ERROR_VMID_INVALID);
	size_t n;
	check_value("VM_GET_STATE with a 2-byte payload: RM_ERROR_MSG_INVALID",
		    call(RM_RPC_VM_GET_STATE, "\0\0", 2, &n), RM_ERROR_MSG_INVALID);

	uint8_t st[RM_RPC_VM_SET_STATUS_REQUEST_SIZE];
	st[RM_RPC_VM_SET_STATUS_REQUEST_VM_STATUS_OFF] = RM_VM_STATE_NONE;
	st[RM_RPC_VM_SET_STATUS_REQUEST_OS_STATUS_OFF] = RM_OS_STATE_RUN;
	le16_store(&st[RM_RPC_VM_SET_STATUS_REQUEST_APP_STATUS_OFF], APP_STATUS(T.vmid));
	check_value("VM_SET_STATUS(os RUN, app status): RM_OK",
		    call(RM_RPC_VM_SET_STATUS, st, sizeof(st), &n), RM_OK);
	check_value("VM_SET_STATUS: error word only", n, 0);
	check_value("VM_GET_STATE after VM_SET_STATUS: RM_OK", get_state(0), RM_OK);
	check_value("VM_GET_STATE: os_state RUN", reply[RM_RPC_VM_STATE_REPLY_OS_STATE_OFF],
		    RM_OS_STATE_RUN);
	check_value("VM_GET_STATE: app_status as set",
		    le16_load(&reply[RM_RPC_VM_STATE_REPLY_APP_STATUS_OFF]), APP_STATUS(T.vmid));
	st[RM_RPC_VM_SET_STATUS_REQUEST_VM_STATUS_OFF] = RM_VM_STATE_EXITED;
	check_value("VM_SET_STATUS(vm_status EXITED): RM_ERROR_ARGUMENT_INVALID",
		    call(RM_RPC_VM_SET_STATUS, st, sizeof(st), &n), RM_ERROR_ARGUMENT_INVALID);
	check_value("VM_GET_STATE: still RUNNING", get_state(0) == RM_OK ?
		    reply[RM_RPC_VM_STATE_REPLY_VM_STATE_OFF] : 0xffU, RM_VM_STATE_RUNNING);
}

/* What the DT says VM_GET_HYP_RESOURCES must report: one entry per queue of a pair (the RM
 * link's too: bothy's RM lists it, with the RM as partner and label 0) and per doorbell end;
 * shared memory is no hypervisor resource there. */
typedef struct {
	uint8_t type;
	uint16_t partner;
	uint32_t label, virq;
	uint64_t cap;
	bool matched;
} expected_t;

static unsigned
expected_resources(expected_t *e, unsigned max, unsigned *placeholders)
{
	unsigned n = 0;
	vdevice_t d;
	*placeholders = 0;
	for (unsigned i = 0; vdevice_at(i, &d) == OK && n + 2U <= max; i++) {
		expected_t base = { .partner = d.peer_vmid, .label = d.label };
		*placeholders += (d.tx_cap == CAP_PLACEHOLDER) + (d.rx_cap == CAP_PLACEHOLDER);
		if (d.kind == VDEVICE_RM_RPC) {
			base.partner = RM_VMID_RM;
			base.label = 0;
		}
		if (d.kind == VDEVICE_MSGQ_PAIR || d.kind == VDEVICE_RM_RPC) {
			e[n] = base;
			e[n].type = RM_HYP_RESOURCE_TYPE_MSG_QUEUE_SEND;
			e[n].cap = d.tx_cap;
			e[n++].virq = d.tx_intid;
			e[n] = base;
			e[n].type = RM_HYP_RESOURCE_TYPE_MSG_QUEUE_RECV;
			e[n].cap = d.rx_cap;
			e[n++].virq = d.rx_intid;
		} else if (d.kind == VDEVICE_DOORBELL_SOURCE) {
			e[n] = base;
			e[n].type = RM_HYP_RESOURCE_TYPE_DOORBELL_SRC;
			e[n++].cap = d.tx_cap;
		} else if (d.kind == VDEVICE_DOORBELL) {
			e[n] = base;
			e[n].type = RM_HYP_RESOURCE_TYPE_DOORBELL;
			e[n].cap = d.rx_cap;
			e[n++].virq = d.rx_intid;
		}
	}
	return n;
}

static bool
entry_matches(expected_t *e, unsigned n, const uint8_t *r)
{
	for (unsigned i = 0; i < n; i++) {
		if (!e[i].matched && r[RM_RPC_HYP_RESOURCE_TYPE_OFF] == e[i].type &&
		    le16_load(&r[RM_RPC_HYP_RESOURCE_PARTNER_VMID_OFF]) == e[i].partner &&
		    le32_load(&r[RM_RPC_HYP_RESOURCE_LABEL_OFF]) == e[i].label &&
		    le64_load(&r[RM_RPC_HYP_RESOURCE_CAP_ID_OFF]) == e[i].cap &&
		    le32_load(&r[RM_RPC_HYP_RESOURCE_VIRQ_OFF]) == e[i].virq) {
			e[i].matched = true;
			return true;
		}
	}
	return false;
}

static void
resource_checks(void)
{
	static expected_t expected[MAX_RESOURCES];
	unsigned placeholders;
	unsigned want = expected_resources(expected, MAX_RESOURCES, &placeholders);
	check_value("DT caps patched by the RM (no placeholder left)", placeholders, 0);

	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	vmid_request(req, 0);
	size_t n;
	check_value("VM_GET_HYP_RESOURCES: RM_OK",
		    call(RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req), &n), RM_OK);
	uint32_t count = n >= RM_RPC_HYP_RESOURCES_REPLY_SIZE
				 ? le32_load(&reply[RM_RPC_HYP_RESOURCES_REPLY_N_ENTRIES_OFF])
				 : 0U;
	check_value("VM_GET_HYP_RESOURCES: size = 4 + 44 x entries", n,
		    RM_RPC_HYP_RESOURCES_REPLY_SIZE + (uint64_t)count * RM_RPC_HYP_RESOURCE_SIZE);
	check_value("VM_GET_HYP_RESOURCES: one entry per DT queue (RM link too) and doorbell end", count, want);
	/* The reply is the error word plus the data, cut into 232-byte fragments. */
	size_t whole = RM_RPC_REPLY_SIZE + n;
	check_value("VM_GET_HYP_RESOURCES: reply fragments",
		    T.rm.last_continuations + 1U,
		    (whole + RM_RPC_FRAGMENT_PAYLOAD - 1U) / RM_RPC_FRAGMENT_PAYLOAD);
	unsigned bad = 0;
	for (uint32_t i = 0; i < count && n >= RM_RPC_HYP_RESOURCES_REPLY_SIZE +
						   (i + 1U) * RM_RPC_HYP_RESOURCE_SIZE; i++) {
		const uint8_t *r = &reply[RM_RPC_HYP_RESOURCES_REPLY_SIZE + i * RM_RPC_HYP_RESOURCE_SIZE];
		if (!entry_matches(expected, want, r)) {
			bad++;
			guest_printf("%s: resource %u (type %u, partner 0x%x, label %u, cap 0x%lx, "
				     "virq %u) matches no DT end\n",
				     CHECK_PREFIX, i, r[RM_RPC_HYP_RESOURCE_TYPE_OFF],
				     le16_load(&r[RM_RPC_HYP_RESOURCE_PARTNER_VMID_OFF]),
				     le32_load(&r[RM_RPC_HYP_RESOURCE_LABEL_OFF]),
				     le64_load(&r[RM_RPC_HYP_RESOURCE_CAP_ID_OFF]),
				     le32_load(&r[RM_RPC_HYP_RESOURCE_VIRQ_OFF]));
		}
	}
	check_value("VM_GET_HYP_RESOURCES: entries matching no DT end (cap, type, label, partner, virq)",
		    bad, 0);
	vmid_request(req, T.peer_vmid);
	check_value("VM_GET_HYP_RESOURCES(the peer): RM_ERROR_DENIED",
		    call(RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req), &n), RM_ERROR_DENIED);
}

/* VM_CONSOLE_WRITE of `text` to VM `vmid`'s console (0: the caller's), num_bytes = its length
 * + `extra` (to make it wrong). */
static uint32_t
console_write_vmid(uint16_t vmid, const char *text, size_t len, unsigned extra)
{
	static uint8_t req[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + 1024U];
	if (len > 1024U) {
		guest_fail("console text too long");
	}
	le16_store(&req[RM_RPC_CONSOLE_WRITE_REQUEST_VMID_OFF], vmid);
	le16_store(&req[RM_RPC_CONSOLE_WRITE_REQUEST_NUM_BYTES_OFF], (uint16_t)(len + extra));
	memcpy(&req[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE], text, len);
	size_t n;
	return call(RM_RPC_VM_CONSOLE_WRITE, req, RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + len, &n);
}

static uint32_t
console_write(const char *text, size_t len, unsigned extra)
{
	return console_write_vmid(0, text, len, extra);
}

static uint32_t
console_write_to(uint16_t vmid, const char *text, size_t len)
{
	return console_write_vmid(vmid, text, len, 0);
}

static void
console_checks(void)
{
	char line[600];
	size_t len = format_buf(line, sizeof(line), "%s: RM console: hello from VM 0x%x\n",
				CHECK_PREFIX, T.vmid);
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	vmid_request(req, 0);
	size_t n;
	check_value("VM_CONSOLE_WRITE before OPEN: RM_ERROR_DENIED", console_write(line, len, 0),
		    RM_ERROR_DENIED);
	check_value("VM_CONSOLE_OPEN: RM_OK", call(RM_RPC_VM_CONSOLE_OPEN, req, sizeof(req), &n),
		    RM_OK);
	check_value("VM_CONSOLE_WRITE: RM_OK", console_write(line, len, 0), RM_OK);
	/* Several lines in one request of three fragments, which the RM must put back together
	 * in order (each line stays below the hypervisor's console line length). */
	len = 0;
	for (unsigned l = 1; l <= LONG_WRITE_LINES; l++) {
		len += format_buf(&line[len], sizeof(line) - len,
				  "%s: RM console: long write from VM 0x%x, line %u of %u: ", CHECK_PREFIX,
				  T.vmid, l, LONG_WRITE_LINES);
		for (unsigned i = 0; i < 26U * 3U; i++) {
			line[len++] = (char)('a' + i % 26U);
		}
		line[len++] = '\n';
	}
	check_value("VM_CONSOLE_WRITE of 3 fragments: RM_OK", console_write(line, len, 0), RM_OK);
	check_value("VM_CONSOLE_WRITE of 3 fragments: size", (len + RM_RPC_CONSOLE_WRITE_REQUEST_SIZE +
		    RM_RPC_FRAGMENT_PAYLOAD - 1U) / RM_RPC_FRAGMENT_PAYLOAD, 3);
	check_value("VM_CONSOLE_WRITE with a wrong num_bytes: RM_ERROR_MSG_INVALID",
		    console_write(line, 10, 1), RM_ERROR_MSG_INVALID);
	check_value("VM_CONSOLE_FLUSH: RM_OK", call(RM_RPC_VM_CONSOLE_FLUSH, req, sizeof(req), &n),
		    RM_OK);
	check_value("VM_CONSOLE_CLOSE: RM_OK", call(RM_RPC_VM_CONSOLE_CLOSE, req, sizeof(req), &n),
		    RM_OK);
	check_value("VM_CONSOLE_WRITE after CLOSE: RM_ERROR_DENIED", console_write(line, 10, 0),
		    RM_ERROR_DENIED);
}

void
rpc_checks(void)
{
	check_error("RM RPC client on the DT's RM link", (uint64_t)(int64_t)rm_client_init(&T.rm), OK);
	identity_checks();
	state_checks();
	resource_checks();
	console_checks();
}

void
rpc_notification_checks(void)
{
	/* The peer's VM_SET_STATUS was answered before its HELLO was sent, and the RM queues the
	 * owner's notification before that answer: one more call brings it in. */
	size_t n;
	(void)call(RM_RPC_VM_GET_VMID, NULL, 0, &n);
	if (!T.ping) {
		check_value("notifications to a VM that owns none", T.rm.notifications, 0);
		return;
	}
	rm_note_t note;
	unsigned status_notes = 0;
	bool found = false;
	while (rm_client_take_note(&T.rm, &note)) {
		if (note.msg_id != RM_RPC_NOTIFY_VM_STATUS || note.len != RM_RPC_NOTIFY_VM_STATUS_SIZE) {
			continue;
		}
		status_notes++;
		found = found ||
			(le16_load(&note.payload[RM_RPC_NOTIFY_VM_STATUS_VMID_OFF]) == T.peer_vmid &&
			 note.payload[RM_RPC_NOTIFY_VM_STATUS_VM_STATUS_OFF] == RM_VM_STATE_RUNNING &&
			 note.payload[RM_RPC_NOTIFY_VM_STATUS_OS_STATUS_OFF] == RM_OS_STATE_RUN &&
			 le16_load(&note.payload[RM_RPC_NOTIFY_VM_STATUS_APP_STATUS_OFF]) ==
				 APP_STATUS(T.peer_vmid));
	}
	guest_printf("%s: %u notifications so far, %u of them NOTIFY_VM_STATUS\n", CHECK_PREFIX,
		     T.rm.notifications, status_notes);
	check_true("NOTIFY_VM_STATUS for the secondary's VM_SET_STATUS (RUNNING, os RUN, app status)",
		   found);
	check_value("RM RPC fragments that matched nothing", T.rm.stray, 0);
}

/* The next NOTIFY_VM_CONSOLE_CHARS (one kept while a call waited, else the next to arrive);
 * other notifications are skipped. Its text, NUL-terminated, goes to `text`. */
static uint16_t
next_console_chars(char *text, size_t max)
{
	static rm_message_t m;
	rm_note_t note;
	const uint8_t *payload = NULL;
	size_t len = 0;
	while (payload == NULL && rm_client_take_note(&T.rm, &note)) {
		if (note.msg_id == RM_RPC_NOTIFY_VM_CONSOLE_CHARS) {
			payload = note.payload;
			len = note.len < RM_CLIENT_NOTE_BYTES ? note.len : RM_CLIENT_NOTE_BYTES;
		}
	}
	while (payload == NULL) {
		if (rm_client_receive(&T.rm, &m, true) != OK) {
			guest_fail("cannot receive from the RM");
		}
		if (m.type == RM_RPC_TYPE_NOTIFICATION && m.msg_id == RM_RPC_NOTIFY_VM_CONSOLE_CHARS) {
			payload = m.payload;
			len = m.len;
		}
	}
	size_t n = len < RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE
			   ? 0U
			   : le16_load(&payload[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_NUM_BYTES_OFF]);
	check_value("NOTIFY_VM_CONSOLE_CHARS: size", len, RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE + n);
	n = n < max ? n : max - 1U;
	memcpy(text, &payload[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE], n);
	text[n] = '\0';
	return le16_load(&payload[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_FROM_VMID_OFF]);
}

/* One report line: the forwarded text without its newline. */
static void
report_forwarding(char *got, uint16_t from)
{
	size_t len = strlen(got);
	if (len > 0U && got[len - 1U] == '\n') {
		got[len - 1U] = '\0';
	}
	guest_printf("%s: console forwarding: got \"%s\" from VM 0x%x\n", CHECK_PREFIX, got, from);
}

/* Console forwarding between a VM and its owner: ping (the primary VM) owns pong. Ping opens
 * pong's console; pong's write reaches ping as NOTIFY_VM_CONSOLE_CHARS from pong, and ping's
 * write into pong's console reaches pong from ping. Pong may not open ping's console. */
void
rpc_console_forwarding_checks(void)
{
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	char want[48], got[48];
	size_t n;
	if (T.ping) {
		vmid_request(req, T.peer_vmid);
		check_value("VM_CONSOLE_OPEN of the VM it owns: RM_OK",
			    call(RM_RPC_VM_CONSOLE_OPEN, req, sizeof(req), &n), RM_OK);
		ctl_send(CTL_CONSOLE, NULL, 0);
		size_t len = format_buf(want, sizeof(want), "up from VM 0x%x\n", T.peer_vmid);
		uint16_t from = next_console_chars(got, sizeof(got));
		check_value("console chars from the owned VM: from_vmid", from, T.peer_vmid);
		check_true("console chars from the owned VM: its bytes",
			   strlen(got) == len && memcmp(got, want, len) == 0);
		len = format_buf(want, sizeof(want), "down from VM 0x%x\n", T.vmid);
		check_value("VM_CONSOLE_WRITE into the owned VM's console: RM_OK",
			    console_write_to(T.peer_vmid, want, len), RM_OK);
		check_value("VM_CONSOLE_CLOSE of the VM it owns: RM_OK",
			    call(RM_RPC_VM_CONSOLE_CLOSE, req, sizeof(req), &n), RM_OK);
		report_forwarding(got, from);
		return;
	}
	vmid_request(req, T.peer_vmid);
	check_value("VM_CONSOLE_OPEN of its owner's console: RM_ERROR_DENIED",
		    call(RM_RPC_VM_CONSOLE_OPEN, req, sizeof(req), &n), RM_ERROR_DENIED);
	ctl_expect(CTL_CONSOLE, NULL, 0);
	vmid_request(req, 0);
	check_value("VM_CONSOLE_OPEN (again): RM_OK",
		    call(RM_RPC_VM_CONSOLE_OPEN, req, sizeof(req), &n), RM_OK);
	size_t len = format_buf(want, sizeof(want), "up from VM 0x%x\n", T.vmid);
	check_value("VM_CONSOLE_WRITE seen by the owner: RM_OK", console_write_to(0, want, len),
		    RM_OK);
	len = format_buf(want, sizeof(want), "down from VM 0x%x\n", T.peer_vmid);
	uint16_t from = next_console_chars(got, sizeof(got));
	check_value("console chars from the owner: from_vmid", from, T.peer_vmid);
	check_true("console chars from the owner: its bytes",
		   strlen(got) == len && memcmp(got, want, len) == 0);
	check_value("VM_CONSOLE_CLOSE: RM_OK", call(RM_RPC_VM_CONSOLE_CLOSE, req, sizeof(req), &n),
		    RM_OK);
	report_forwarding(got, from);
}
