/* vuart.c - the vPL011 each VM sees at the board's UART address: enough of a PL011 for Linux's
 * amba-pl011 driver and earlycon. Output goes to the VM's console; the primary gets serial input. */
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "platform.h"
#include "platform_config.h"
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

void
vuart_init(vuart_t *uart)
{
	*uart = (vuart_t){ .cr = CR_RESET, .ifls = IFLS_RESET };
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

/* Tells the vGIC the current line level after a change. line_lock orders the telling: the
 * last teller reads the latest state, so two CPUs can never leave a stale level behind. */
static void
sync_line(vm_t *vm)
{
	vuart_t *uart = &vm->vuart;
	vic_t *vic = vm->vic;
	if (vic == NULL) {
		return; /* no vGIC: the guest can only poll */
	}
	spinlock_acquire(&uart->line_lock);
	spinlock_acquire(&uart->lock);
	bool level = line_of(uart);
	spinlock_release(&uart->lock);
	if (level != uart->level) {
		(void)vgic_set_level(vic, NULL, PLATFORM_UART_IRQ, level);
		uart->level = level;
	}
	spinlock_release(&uart->line_lock);
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
	if (access->write && offset == UART_DR) {
		/* Transmission changes no state, so it needs no lock; the console serialises. */
		char c = (char)access->value;
		vm_console_write(vm, &c, 1);
		return MMIO_HANDLED;
	}

	vuart_t *uart = &vm->vuart;
	spinlock_acquire(&uart->lock);
	bool before = line_of(uart);
	if (access->write) {
		/* Narrow writes are zero-extended, as QEMU's PL011 treats them. */
		reg_write(uart, offset, (uint32_t)access->value);
	} else {
		access->value = reg_read(uart, offset) & (uint32_t)((1ULL << (access->size * 8U)) - 1U);
	}
	update_ris(uart);
	bool changed = line_of(uart) != before;
	spinlock_release(&uart->lock);
	if (changed) {
		sync_line(vm);
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
	if (uart->rx_count == VUART_RX_FIFO) {
		uart->rx_dropped++;
	} else {
		dropped = uart->rx_dropped;
		uart->rx_dropped = 0U;
		uart->rx_fifo[(uart->rx_head + uart->rx_count) % VUART_RX_FIFO] = c;
		uart->rx_count++;
		update_ris(uart);
	}
	bool changed = line_of(uart) != before;
	spinlock_release(&uart->lock);
	if (changed) {
		sync_line(primary);
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
