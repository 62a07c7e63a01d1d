/* panic.c - the hypervisor's fatal-error path: print who, where and why, then end QEMU
 * with a failure status. Lock-free so it works even if the dying CPU held the console. */
#include <stdarg.h>
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "esr.h"
#include "hyp_config.h"
#include "panic.h"
#include "platform.h"
#include "sysreg.h"

#define PANIC_EXIT_STATUS 3U

static int panicking;

static void
enter_panic(void)
{
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL) != 0) {
		/* A second panic (another CPU, or a fault inside the panic path): let the
		 * first one finish its report and end the machine. */
		for (;;) {
			wfi();
		}
	}
}

__attribute__((noreturn)) static void
finish(void)
{
	console_panic_puts("BOTHY PANIC: stopping the machine\n");
	platform_exit_failure(PANIC_EXIT_STATUS);
}

void
panic(const char *fmt, ...)
{
	enter_panic();
	va_list args;
	va_start(args, fmt);
	console_panic_printf("\nBOTHY PANIC on CPU %u: ", cpu_index());
	console_panic_vprintf(fmt, args);
	va_end(args);
	console_panic_printf("\n  ELR_EL2 0x%016lx (of the last exception)\n",
			     sysreg_read(elr_el2));
	finish();
}

extern char hyp_stacks[];

/* Says so when the fault address or the interrupted SP lies in a stack guard page. */
static void
report_stack_overflow(uint64_t far, uint64_t sp)
{
	uint64_t base = (uint64_t)(uintptr_t)hyp_stacks;
	uint64_t end = base + PLATFORM_CPU_COUNT * HYP_STACK_STRIDE;
	uint64_t addrs[2] = { far, sp };
	for (unsigned i = 0; i < 2U; i++) {
		uint64_t a = addrs[i];
		if (a >= base && a < end && (a - base) % HYP_STACK_STRIDE < HYP_STACK_GUARD) {
			console_panic_printf("  stack overflow: CPU %lu's EL2 stack ran into its guard "
					     "page\n", (a - base) / HYP_STACK_STRIDE);
			return;
		}
	}
}

void
panic_exception(const char *what, const trap_frame_t *frame)
{
	enter_panic();
	uint64_t esr = sysreg_read(esr_el2);
	console_panic_printf("\nBOTHY PANIC on CPU %u: %s\n", cpu_index(), what);
	esr_print("ESR_EL2", esr);
	uint64_t far = sysreg_read(far_el2);
	console_panic_printf("  FAR_EL2 0x%016lx\n", far);
	console_panic_printf("  ELR_EL2 0x%016lx  SPSR_EL2 0x%016lx  SP 0x%016lx\n", frame->elr,
			     frame->spsr, frame->sp);
	report_stack_overflow(far, frame->sp);
	for (unsigned i = 0; i < 31U; i += 2U) {
		if (i + 1U < 31U) {
			console_panic_printf("  x%-2u 0x%016lx  x%-2u 0x%016lx\n", i, frame->x[i],
					     i + 1U, frame->x[i + 1U]);
		} else {
			console_panic_printf("  x%-2u 0x%016lx\n", i, frame->x[i]);
		}
	}
	finish();
}
