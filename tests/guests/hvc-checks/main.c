/* main.c - hvc-checks, hypercall argument checks made from a VM the RM built (not the root VM):
 * console_write without a console cap, over-wide narrow arguments, and cap IDs naming no slot. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"
#include "vdevice.h"

#define PREFIX "hvc-checks"
/* A cap ID that decodes to no slot of any cspace (the hardening issue's example). */
#define NO_SLOT_CAP 0x12345UL
/* A 32-bit argument's value with a bit set above its type (the low 32 bits alone are fine). */
#define OVER_32(low) ((1UL << 32) | (low))
/* SPI 32, the first one: the virq an over-wide 0x1_0000_0020 used to be cut to. */
#define SPI_32 32UL

/* BOTHY_HVC_RAW needs a literal immediate: each one is checked against the generated header. */
_Static_assert(HYPERCALL_MSGQUEUE_SEND_NATIVE == 0x601bU, "msgqueue_send's immediate");
_Static_assert(HYPERCALL_MSGQUEUE_BIND_SEND_VIRQ_NATIVE == 0x6017U, "bind_send_virq's");
_Static_assert(HYPERCALL_MSGQUEUE_BIND_RECEIVE_VIRQ_NATIVE == 0x6018U, "bind_receive_virq's");
_Static_assert(HYPERCALL_DOORBELL_BIND_VIRQ_NATIVE == 0x6010U, "doorbell_bind_virq's");

static const char text[] = "hvc-checks: console_write from a VM the RM built\n";
static rm_client_t rm;

#define E(err) ((uint64_t)(int64_t)(err))

/* console_write is the root VM's: every other VM has no console cap, so no value, 0 (its
 * console_cap field) included, may write. */
static void
console_checks(void)
{
	static const cap_id_t caps[] = { 0U, 1U, CSPACE_CAP_INVALID, NO_SLOT_CAP };
	static const char *const names[] = {
		"console_write cap 0 (native)", "console_write cap 1 (native)",
		"console_write CSPACE_CAP_INVALID (native)", "console_write cap 0x12345 (native)",
	};
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		hypercall_console_write_result_t w =
			bothy_console_write(caps[i], (uintptr_t)text, sizeof(text) - 1U);
		check_error(names[i], E(w.error), ERROR_CSPACE_CAP_NULL);
	}
	bothy_regs_t r = { { HYPERCALL_CONSOLE_WRITE_SMCCC, 0U, (uint64_t)(uintptr_t)text,
			     sizeof(text) - 1U, 0U } };
	bothy_smccc_call(&r);
	check_error("console_write cap 0 (SMCCC)", r.x[0], ERROR_CSPACE_CAP_NULL);
}

/* Arguments narrower than their register: on the native path a bit above the type is an
 * invalid argument, never cut off. */
static void
narrow_argument_checks(const vdevice_t *link)
{
	static const uint8_t byte = 0x5a;
	/* msgqueue_send's flags are 32 bits (push is bit 0); today's code sent the message. */
	bothy_regs_t r = { { link->tx_cap, 1U, (uint64_t)(uintptr_t)&byte, OVER_32(0U), 0U } };
	BOTHY_HVC_RAW(0x601b, &r);
	check_error("msgqueue_send flags 0x1_0000_0000 (native)", r.x[0], ERROR_ARGUMENT_INVALID);
	/* A virq is 32 bits: 0x1_0000_0020 is not SPI 32. Refused before any cap is looked up
	 * (this VM holds no vic, so the low bits alone would fail on the caps). */
	r = (bothy_regs_t){ { link->tx_cap, link->rx_cap, OVER_32(SPI_32), 0U } };
	BOTHY_HVC_RAW(0x6017, &r);
	check_error("msgqueue_bind_send_virq virq 0x1_0000_0020 (native)", r.x[0],
		    ERROR_ARGUMENT_INVALID);
	r = (bothy_regs_t){ { link->rx_cap, link->tx_cap, OVER_32(SPI_32), 0U } };
	BOTHY_HVC_RAW(0x6018, &r);
	check_error("msgqueue_bind_receive_virq virq 0x1_0000_0020 (native)", r.x[0],
		    ERROR_ARGUMENT_INVALID);
	r = (bothy_regs_t){ { link->tx_cap, link->rx_cap, OVER_32(SPI_32), 0U } };
	BOTHY_HVC_RAW(0x6010, &r);
	check_error("doorbell_bind_virq virq 0x1_0000_0020 (native)", r.x[0],
		    ERROR_ARGUMENT_INVALID);
	/* The SMCCC path cuts the virq to 32 bits and checks no reserved input, as Gunyah's
	 * does: the call gets as far as the caps (this VM's queue cap may not bind). */
	r = (bothy_regs_t){ { HYPERCALL_MSGQUEUE_BIND_SEND_VIRQ_SMCCC, link->tx_cap, link->tx_cap,
			      OVER_32(SPI_32), 0U } };
	bothy_smccc_call(&r);
	check_error("msgqueue_bind_send_virq virq 0x1_0000_0020 (SMCCC: cut to 32 bits)", r.x[0],
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
}

/* A cap ID that does not decode to a slot is an invalid argument, as in Gunyah;
 * ERROR_CSPACE_CAP_NULL is for an empty slot. */
static void
cap_id_checks(const vdevice_t *link)
{
	static uint8_t buf[RM_RPC_MESSAGE_SIZE];
	check_error("msgqueue_send on cap 0x12345",
		    E(bothy_msgqueue_send(NO_SLOT_CAP, 1U, (uintptr_t)buf, 0U).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_receive on cap 0x12345",
		    E(bothy_msgqueue_receive(NO_SLOT_CAP, (uintptr_t)buf, sizeof(buf)).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("doorbell_send on CSPACE_CAP_INVALID",
		    E(bothy_doorbell_send(CSPACE_CAP_INVALID, 1U).error), ERROR_ARGUMENT_INVALID);
	/* The VM's own RM queue caps, one bit away: almost surely no slot at all. */
	check_error("msgqueue_flush on the RM TX cap with bit 63 flipped",
		    E(bothy_msgqueue_flush(link->tx_cap ^ (1UL << 63)).error),
		    ERROR_ARGUMENT_INVALID);
	/* A real cap of the wrong type still says so. */
	check_error("doorbell_send on the RM TX queue cap",
		    E(bothy_doorbell_send(link->tx_cap, 1U).error), ERROR_CSPACE_WRONG_OBJECT_TYPE);
}

/* The RM still answers this VM: VM_GET_VMID round trip. */
static void
rm_round_trip(uint16_t vmid)
{
	uint8_t reply[RM_RPC_VMID_REPLY_SIZE];
	uint32_t rm_error = 0;
	size_t len = 0;
	error_t err = rm_client_call(&rm, RM_RPC_VM_GET_VMID, NULL, 0, &rm_error, reply,
				     sizeof(reply), &len);
	check_error("RM RPC VM_GET_VMID after the checks: transport", E(err), OK);
	check_value("RM RPC VM_GET_VMID after the checks: RM_OK", rm_error, RM_OK);
	check_value("RM RPC VM_GET_VMID after the checks: own VMID",
		    len == sizeof(reply) ? (uint16_t)le32_load(&reply[RM_RPC_VMID_REPLY_VMID_OFF])
					 : 0xffffU,
		    vmid);
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	check_begin(PREFIX);
	if (guest_is_root_vm()) {
		guest_fail("hvc-checks runs in a VM the RM builds, not as the root VM");
	}
	uint16_t vmid = 0;
	vdevice_t link;
	if (vdevice_own_vmid(&vmid) != OK || vdevice_rm_link(&link) != OK ||
	    ipc_wait_init(true) != OK || rm_client_init(&rm) != OK) {
		guest_fail("hvc-checks: no RM link in the device tree");
	}
	console_checks();
	narrow_argument_checks(&link);
	cap_id_checks(&link);
	rm_round_trip(vmid);
	/* Failed checks are reported by name (the test reads them) and the VM powers off as
	 * usual: the verdict is the summary line's. */
	(void)check_end();
}
