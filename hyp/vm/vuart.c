/* vuart.c - the vPL011 each VM sees at the board's UART address: enough of a PL011 for Linux's
 * amba-pl011 driver and earlycon. Output goes to the VM's console; the primary gets serial input.
 * Owns the read-only shadow page that serves the guest's reads while no input is waiting. */
#include <stdbool.h>
#include <stdint.h>

#include "addrspace.h"
#include "console.h"
#include "hyp_config.h"
#include "partition.h"
#include "platform.h"
#include "platform_config.h"
#include "sysreg.h"
#include "util_string.h"
#include "vgic.h"
#include "vm.h"
#include "vuart.h"

#define UART_DR 0x000U
#define UART_FR 0x018U
#define UART_ILPR 0x020U
#define UART_IBRD 0x024U
#define UART_FBRD 0x028U
#define UART_LCRH 0x02cU
#define UART_CR 0x030U
#define UART_IFLS 0x034U
#define UART_IMSC 0x038U
#define UART_RIS 0x03cU
#define UART_MIS 0x040U
#define UART_DMACR 0x048U
#define UART_ID_FIRST 0xfe0U
#define UART_ID_LAST 0xffcU
#define UART_REGS_END 0x04cU /* DR to DMACR: the registers whose values can change */

#define FR_RXFE (1U << 4)
#define FR_RXFF (1U << 6)
#define FR_TXFE (1U << 7)
#define CR_UARTEN (1U << 0)
#define CR_TXE (1U << 8)
#define CR_RESET 0x300U   /* TXE | RXE */
#define IFLS_RESET 0x12U  /* both FIFO triggers at half full */
#define INT_RX (1U << 4)
#define INT_TX (1U << 5)
#define INT_RT (1U << 6)

/* PeriphID0-3 then PCellID0-3: a PL011 r1p4 as QEMU reports it, so Linux's AMBA bus binds. */
static const uint8_t uart_ids[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

/* Registers and FIFO to their reset state (the caller recomputes RIS). Lock held. */
static void
reset_state(vuart_t *uart)
{
	uart->cr = CR_RESET;
	uart->ifls = IFLS_RESET;
	uart->lcrh = uart->ibrd = uart->fbrd = uart->imsc = uart->dmacr = uart->ilpr = 0U;
	uart->rx_head = uart->rx_count = uart->rx_dropped = 0U;
}

void
vuart_init(vuart_t *uart)
{
	*uart = (vuart_t){ 0 };
	reset_state(uart);
}

/* Every interrupt condition here is a level, recomputed after each change: data waiting (RX,
 * and RT too so Linux drains a burst below the trigger level at once) and an empty transmitter
 * (always, as transmission is instantaneous). Hence ICR has nothing to clear. Lock held. */
static void
update_ris(vuart_t *uart)
{
	uint32_t ris = 0U;
	if (uart->rx_count != 0U) {
		ris |= INT_RX | INT_RT;
	}
	if ((uart->cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE)) {
		ris |= INT_TX;
	}
	uart->ris = ris;
}

static bool
line_of(const vuart_t *uart)
{
	return (uart->ris & uart->imsc) != 0U;
}

static uint32_t
reg_read(vuart_t *uart, uint32_t offset)
{
	switch (offset) {
	case UART_DR: {
		if (uart->rx_count == 0U) {
			return 0U;
		}
		unsigned char c = (unsigned char)uart->rx_fifo[uart->rx_head];
		uart->rx_head = (uart->rx_head + 1U) % VUART_RX_FIFO;
		uart->rx_count--;
		return c;
	}
	case UART_FR:
		return FR_TXFE | (uart->rx_count == 0U ? FR_RXFE : 0U) |
		       (uart->rx_count == VUART_RX_FIFO ? FR_RXFF : 0U);
	case UART_ILPR:
		return uart->ilpr;
	case UART_IBRD:
		return uart->ibrd;
	case UART_FBRD:
		return uart->fbrd;
	case UART_LCRH:
		return uart->lcrh;
	case UART_CR:
		return uart->cr;
	case UART_IFLS:
		return uart->ifls;
	case UART_IMSC:
		return uart->imsc;
	case UART_RIS:
		return uart->ris;
	case UART_MIS:
		return uart->ris & uart->imsc;
	case UART_DMACR:
		return uart->dmacr;
	default:
		if (offset >= UART_ID_FIRST && offset <= UART_ID_LAST) {
			return uart_ids[(offset - UART_ID_FIRST) / 4U];
		}
		return 0U; /* RSR/ECR (no receive errors), ICR and reserved offsets */
	}
}

/* Values are masked to each register's width. DR writes never get here (see vuart_mmio). */
static void
reg_write(vuart_t *uart, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case UART_ILPR:
		uart->ilpr = value & 0xffU;
		break;
	case UART_IBRD:
		uart->ibrd = value & 0xffffU;
		break;
	case UART_FBRD:
		uart->fbrd = value & 0x3fU;
		break;
	case UART_LCRH:
		uart->lcrh = value & 0xffU;
		break;
	case UART_CR:
		uart->cr = value & 0xffffU;
		break;
	case UART_IFLS:
		uart->ifls = value & 0x3fU;
		break;
	case UART_IMSC:
		uart->imsc = value & 0x7ffU;
		break;
	case UART_DMACR:
		uart->dmacr = value & 0x7U; /* kept for read-back; there is no DMA */
		break;
	default:
		break; /* RSR/ECR, ICR (see update_ris), read-only and reserved offsets */
	}
}

/* The shadow page. Nearly every vPL011 access is a flag-register read (Linux polls FR before
 * and after each byte it writes), and each one trapped cost an exception round trip through
 * EL2. While the receive FIFO is empty no register read has a side effect, so the guest can
 * read a page holding every register's current value instead: mapped read-only at the UART's
 * IPA, it serves reads without a trap, and writes still trap (a permission fault) to be
 * emulated here. When input arrives the page is unmapped before the guest is interrupted, so
 * DR reads (which take a byte) and FR reads trap again; it is mapped again when the FIFO
 * drains. */

/* Makes the hypervisor's cached writes visible to a guest reading the page as Device memory
 * (uncached): clean to the point of coherency. */
static void
clean_to_poc(const void *start, size_t size)
{
	size_t line = 4U << ((sysreg_read(ctr_el0) >> 16) & 0xfU); /* CTR_EL0.DminLine, words */
	uintptr_t end = (uintptr_t)start + size;
	for (uintptr_t p = (uintptr_t)start & ~(uintptr_t)(line - 1U); p < end; p += line) {
		__asm__ volatile("dc cvac, %0" ::"r"(p) : "memory");
	}
	dsb_ish();
}

/* Rewrites the image of DR to DMACR as reg_read returns them, after every change of state.
 * Only while the FIFO is empty: otherwise the page is unmapped or about to be, and the guest
 * must never see RXFE clear through it, or it would read DR there without taking the byte.
 * The ID registers never change (shadow_create). Lock held. */
static void
shadow_update(vuart_t *uart)
{
	if (uart->shadow == NULL || uart->rx_count != 0U) {
		return;
	}
	for (uint32_t offset = 0U; offset < UART_REGS_END; offset += 4U) {
		__atomic_store_n(&uart->shadow[offset / 4U], reg_read(uart, offset), __ATOMIC_RELAXED);
	}
	clean_to_poc(uart->shadow, UART_REGS_END);
}

/* Gives up on the shadow for this VM, after logging why: all its accesses trap, as without
 * one. sync_lock held, the page not mapped. */
static void
shadow_fail(vm_t *vm, const char *what, error_t err)
{
	vuart_t *uart = &vm->vuart;
	hyp_log("VM '%s': no vPL011 shadow page (%s, error %d): every UART access traps",
		vm->name, what, (int)err);
	spinlock_acquire(&uart->lock);
	uint32_t *page = uart->shadow;
	uart->shadow = NULL;
	uart->shadow_failed = true;
	spinlock_release(&uart->lock);
	if (page != NULL) {
		partition_free(vm->header.partition, page, PAGE_SIZE);
	}
}

/* The VM's first UART access: a zeroed page (reserved offsets read as zero, as emulated)
 * with the ID registers and the current state. sync_lock held. */
static void
shadow_create(vm_t *vm)
{
	uint32_t *page = partition_alloc(vm->header.partition, PAGE_SIZE, PAGE_SIZE);
	if (page == NULL) {
		shadow_fail(vm, "allocation", ERROR_NOMEM);
		return;
	}
	memset(page, 0, PAGE_SIZE);
	for (uint32_t offset = UART_ID_FIRST; offset <= UART_ID_LAST; offset += 4U) {
		page[offset / 4U] = reg_read(&vm->vuart, offset);
	}
	clean_to_poc(page, PAGE_SIZE);
	spinlock_acquire(&vm->vuart.lock);
	vm->vuart.shadow = page;
	shadow_update(&vm->vuart);
	spinlock_release(&vm->vuart.lock);
}

/* Brings the shadow's mapping and the interrupt line in line with the vPL011's state, after
 * a change of either. sync_lock orders the telling: the last caller reads the latest state,
 * so two CPUs can never leave a stale mapping or level behind. The shadow goes before the
 * line rises: the guest's interrupt handler must find DR and FR trapping. */
static void
publish(vm_t *vm)
{
	vuart_t *uart = &vm->vuart;
	spinlock_acquire(&uart->sync_lock);
	if (uart->shadow == NULL && !uart->shadow_failed && !vm->is_root) {
		shadow_create(vm);
	}
	spinlock_acquire(&uart->lock);
	bool level = line_of(uart);
	bool mapped = uart->shadow != NULL && uart->rx_count == 0U;
	spinlock_release(&uart->lock);
	if (mapped && !uart->shadow_mapped) {
		error_t err = addrspace_map_hyp_page(vm, PLATFORM_UART_BASE, uart->shadow);
		if (err == OK) {
			uart->shadow_mapped = true;
		} else {
			shadow_fail(vm, "stage-2 mapping", err);
		}
	} else if (!mapped && uart->shadow_mapped) {
		/* Only the shadow's own entry goes (an unmap of an extent never removes it), so
		 * this cannot fail while shadow_mapped says it is there. */
		(void)addrspace_unmap_hyp_page(vm, PLATFORM_UART_BASE, uart->shadow);
		uart->shadow_mapped = false;
	}
	if (vm->vic != NULL && level != uart->level) {
		(void)vgic_set_level(vm->vic, NULL, PLATFORM_UART_IRQ, level);
		uart->level = level;
	}
	spinlock_release(&uart->sync_lock);
}

/* Whether an access should publish although nothing changed: the VM has no shadow yet.
 * Unlocked: a stale answer costs one needless publish, or one more trap before it. */
static bool
shadow_wanted(const vuart_t *uart)
{
	return __atomic_load_n(&uart->shadow, __ATOMIC_RELAXED) == NULL &&
	       !__atomic_load_n(&uart->shadow_failed, __ATOMIC_RELAXED);
}

/* Moves typed bytes from the physical UART into the primary VM's receive FIFO while it has
 * room. When it is full the physical receive interrupt is masked, so input waits in the
 * UART and in QEMU instead of being dropped; the guest's next read resumes the flow. */
static spinlock_t serial_lock;
static bool serial_throttled;

static bool
rx_has_room(vuart_t *uart)
{
	spinlock_acquire(&uart->lock);
	bool room = uart->rx_count < VUART_RX_FIFO;
	spinlock_release(&uart->lock);
	return room;
}

static void
drain_serial(void)
{
	vm_t *primary = vm_primary();
	int c;
	spinlock_acquire(&serial_lock);
	while (primary == NULL || rx_has_room(&primary->vuart)) {
		if (!platform_uart_getc(&c)) {
			break;
		}
		if (primary != NULL) {
			vuart_input(primary, (char)c);
		}
	}
	bool full = primary != NULL && !rx_has_room(&primary->vuart);
	if (full != serial_throttled) {
		serial_throttled = full;
		platform_uart_rx_mask(full);
	}
	spinlock_release(&serial_lock);
}

mmio_result_t
vuart_mmio(struct thread *vcpu, mmio_access_t *access)
{
	if (access->ipa < PLATFORM_UART_BASE ||
	    access->ipa >= PLATFORM_UART_BASE + PLATFORM_UART_SIZE) {
		return MMIO_UNHANDLED;
	}
	uint32_t offset = (uint32_t)(access->ipa - PLATFORM_UART_BASE);
	/* Registers are word-spaced; drivers access them from their first byte. */
	if ((access->size != 1U && access->size != 2U && access->size != 4U) ||
	    (offset & 3U) != 0U) {
		return MMIO_FAULT;
	}
	vm_t *vm = vcpu->vm;
	vuart_t *uart = &vm->vuart;
	if (access->write && offset == UART_DR) {
		/* Transmission changes no state, so it needs no lock; the console serialises. */
		char c = (char)access->value;
		vm_console_write(vm, &c, 1);
		if (shadow_wanted(uart)) {
			publish(vm);
		}
		return MMIO_HANDLED;
	}

	spinlock_acquire(&uart->lock);
	bool before = line_of(uart);
	unsigned rx_before = uart->rx_count;
	if (access->write) {
		/* Narrow writes are zero-extended, as QEMU's PL011 treats them. */
		reg_write(uart, offset, (uint32_t)access->value);
	} else {
		access->value = reg_read(uart, offset) & (uint32_t)((1ULL << (access->size * 8U)) - 1U);
	}
	update_ris(uart);
	if (access->write || uart->rx_count != rx_before) {
		shadow_update(uart);
	}
	/* The FIFO just drained: the shadow can serve reads again. */
	bool changed = line_of(uart) != before || (rx_before != 0U && uart->rx_count == 0U);
	spinlock_release(&uart->lock);
	if (changed || shadow_wanted(uart)) {
		publish(vm);
	}
	if (!access->write && offset == UART_DR && vm->is_primary &&
	    __atomic_load_n(&serial_throttled, __ATOMIC_ACQUIRE)) {
		drain_serial(); /* the guest made room: take more of the waiting input */
	}
	return MMIO_HANDLED;
}

void
vuart_input(struct vm *primary, char c)
{
	vuart_t *uart = &primary->vuart;
	unsigned dropped = 0U;
	spinlock_acquire(&uart->lock);
	bool before = line_of(uart);
	bool was_empty = uart->rx_count == 0U;
	if (uart->rx_count == VUART_RX_FIFO) {
		uart->rx_dropped++;
	} else {
		dropped = uart->rx_dropped;
		uart->rx_dropped = 0U;
		uart->rx_fifo[(uart->rx_head + uart->rx_count) % VUART_RX_FIFO] = c;
		uart->rx_count++;
		update_ris(uart);
	}
	/* The first byte waiting: the shadow must go (publish), so that reads trap again. */
	bool changed = line_of(uart) != before || (was_empty && uart->rx_count != 0U);
	spinlock_release(&uart->lock);
	if (changed) {
		publish(primary);
	}
	if (dropped != 0U) {
		hyp_log("serial input: %u bytes dropped, VM '%s' was not reading", dropped,
			primary->name);
	}
}

void
vuart_serial_irq(void)
{
	/* Ack before draining: a byte arriving meanwhile raises the interrupt anew, never lost. */
	platform_uart_rx_ack();
	drain_serial();
}

void
vuart_reset(vm_t *vm)
{
	vuart_t *uart = &vm->vuart;
	spinlock_acquire(&uart->lock);
	reset_state(uart);
	update_ris(uart);
	shadow_update(uart);
	spinlock_release(&uart->lock);
	/* The vGIC keeps the line's level across the reset: tell it the new one. */
	publish(vm);
	if (vm->is_primary && __atomic_load_n(&serial_throttled, __ATOMIC_ACQUIRE)) {
		drain_serial(); /* the FIFO that held input back is empty now */
	}
}

void
vuart_cleanup(vm_t *vm)
{
	if (vm->vuart.shadow != NULL) {
		partition_free(vm->header.partition, vm->vuart.shadow, PAGE_SIZE);
		vm->vuart.shadow = NULL;
	}
}
