// cloudtask-box-init: the first process of a job's box (docs/isolation.md).
//
// The worker's spawn shim makes the box (namespaces, the run's cgroups, mounts) in a
// child that shares the worker's memory, then executes this small program in it, so
// that the worker's memory is never copied (a fork of the worker cost more than the
// rest of a short job: the copy, and the copy-on-write faults that followed in every
// thread of the worker). This program starts the job's program as its only child,
// reaps whatever ends up in the box until that child exits, writes the child's raw
// wait status to descriptor 4, and exits; in a PID namespace the kernel then ends every
// other process of the box.
//
// It is freestanding: a static executable with its own entry point and raw system
// calls, no C library and no dynamic loader. It runs once per job, and as an ordinary
// program (linked to glibc, and by SwiftPM's link step to the Swift runtime) its start-up
// cost 2.7 ms of CPU per job on a virtualised machine (the loader, libswiftCore's
// relocations, glibc probing the CPU with `cpuid`, which traps to the hypervisor); this
// one starts in about 0.1 ms (BENCHMARKS.md, "The sandbox's cost").
//
// Descriptors: 0 /dev/null, 1 and 2 the job's output pipes, 3 the spawn report pipe
// (errno values; the worker reads it until end of file), 4 the status pipe.
// Arguments: uid gid change-user cpu-seconds address-space processes file-size open-files
// directory program [program arguments...]; the environment is the program's.
#include <asm/unistd.h>
#include <linux/resource.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "cloudtask-box-init has system call stubs for x86_64 and aarch64 only"
#endif

enum {
    REPORT_FD = 3,
    STATUS_FD = 4,
    FIXED_ARGUMENTS = 10,
    EIO_ = 5,
    EINTR_ = 4,
    EINVAL_ = 22,
    SIGKILL_ = 9,
    SIGSTOP_ = 19,
    SIGCHLD_ = 17,
    SIGNALS = 64,
    F_SETFD_ = 2,
    FD_CLOEXEC_ = 1,
    O_WRONLY_ = 1,
    AT_FDCWD_ = -100,
    PR_SET_PDEATHSIG_ = 1,
};

// ---- System calls: six-argument stubs; a result in [-4095, -1] is -errno. ----

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
#else
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#endif
}

#define SYS(n, ...) sys_n(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sys_n(n, a, b, c, d, e, f, ...) sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static int failed(long result) { return result < 0 && result > -4096; }

__attribute__((noreturn)) static void exit_now(int code) {
    for (;;) SYS(__NR_exit_group, code);
}

/// Reports `error` (a positive errno) to the worker and ends with 127, as an exec failure.
__attribute__((noreturn)) static void fail(long error) {
    int code = error > 0 ? (int)error : EIO_;
    SYS(__NR_write, REPORT_FD, &code, sizeof code);
    exit_now(127);
}

static void check(long result) {
    if (failed(result)) fail(-result);
}

static unsigned long long number(const char *text) {
    unsigned long long value = 0;
    if (*text == 0) fail(EINVAL_);
    for (; *text; text++) {
        if (*text < '0' || *text > '9') fail(EINVAL_);
        unsigned digit = (unsigned)(*text - '0');
        if (value > (~0ULL - digit) / 10) fail(EINVAL_);
        value = value * 10 + digit;
    }
    return value;
}

static void apply_limit(int resource, unsigned long long value) {
    if (value == 0) return;
    struct rlimit64 limit = { value, value };
    SYS(__NR_prlimit64, 0, resource, &limit, 0);
}

/// The kernel's `struct sigaction` (not the C library's): handler, flags, restorer, mask.
struct kernel_sigaction {
    unsigned long handler;
    unsigned long flags;
    unsigned long restorer;
    unsigned long mask;
};

/// The program: default signal handling (the init ignores stops; the program must not),
/// the rlimits, its own identity, it dies with this init, then it becomes the program.
__attribute__((noreturn)) static void become_program(char **argv, char **envp) {
    unsigned long long limits[5];
    for (int i = 0; i < 5; i++) limits[i] = number(argv[4 + i]);
    struct kernel_sigaction default_action = { 0, 0, 0, 0 };
    for (int sig = 1; sig <= SIGNALS; sig++) {
        if (sig != SIGKILL_ && sig != SIGSTOP_) SYS(__NR_rt_sigaction, sig, &default_action, 0, sizeof(unsigned long));
    }
    unsigned long none = 0;
    SYS(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &none, 0, sizeof none);
    apply_limit(RLIMIT_CPU, limits[0]);
    apply_limit(RLIMIT_AS, limits[1]);
    apply_limit(RLIMIT_NPROC, limits[2]);
    apply_limit(RLIMIT_FSIZE, limits[3]);
    apply_limit(RLIMIT_NOFILE, limits[4]);
    struct rlimit64 no_core = { 0, 0 };
    SYS(__NR_prlimit64, 0, RLIMIT_CORE, &no_core, 0);
    if (number(argv[3])) {
        long uid = (long)number(argv[1]);
        long gid = (long)number(argv[2]);
        check(SYS(__NR_setgroups, 0, 0));
        check(SYS(__NR_setresgid, gid, gid, gid));
        check(SYS(__NR_setresuid, uid, uid, uid));
    }
    check(SYS(__NR_prctl, PR_SET_PDEATHSIG_, SIGKILL_));
    check(SYS(__NR_chdir, argv[9]));
    char **program = argv + FIXED_ARGUMENTS;
    fail(-SYS(__NR_execve, program[0], program, envp));
}

/// Called from _start with the initial stack: argc, argv[], NULL, envp[], NULL, ...
__attribute__((noreturn, used)) void box_init_main(long *stack) {
    int argc = (int)stack[0];
    char **argv = (char **)(stack + 1);
    char **envp = argv + argc + 1;
    if (argc < FIXED_ARGUMENTS + 1) fail(EINVAL_);
    // Parse everything here, before the fork, so a bad argument fails the same way.
    for (int i = 1; i <= 8; i++) number(argv[i]);
    check(SYS(__NR_fcntl, REPORT_FD, F_SETFD_, FD_CLOEXEC_));
    check(SYS(__NR_fcntl, STATUS_FD, F_SETFD_, FD_CLOEXEC_));
    // fork(): clone with only the exit signal, no new stack (the child runs on a copy).
    long child = SYS(__NR_clone, SIGCHLD_, 0, 0, 0, 0);
    check(child);
    if (child == 0) become_program(argv, envp);
    // Only the program holds the output pipes and the report pipe now.
    long devnull = SYS(__NR_openat, AT_FDCWD_, "/dev/null", O_WRONLY_, 0);
    if (!failed(devnull)) {
        SYS(__NR_dup3, devnull, 1, 0);
        SYS(__NR_dup3, devnull, 2, 0);
        SYS(__NR_close, devnull);
    }
    SYS(__NR_close, REPORT_FD);
    int program_status = 0;
    for (;;) {
        int status = 0;
        long reaped = SYS(__NR_wait4, -1, &status, 0, 0);
        if (reaped == child) {
            program_status = status;
            break;
        }
        if (failed(reaped) && reaped != -EINTR_) break;
    }
    SYS(__NR_write, STATUS_FD, &program_status, sizeof program_status);
    exit_now(0);
}

// The entry point: no C runtime, so the stack pointer is handed over as it is and the
// stack aligned for the call.
#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call box_init_main\n"
        "  hlt\n");
#else
__asm__(".text\n"
        ".global _start\n"
        ".type _start,%function\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x30, #0\n"
        "  mov x0, sp\n"
        "  and sp, x0, #-16\n"
        "  bl box_init_main\n"
        "  brk #0\n");
#endif

// The compiler may call these for a structure's initialisation even when freestanding.
// Written through a volatile pointer so that it is not turned into a call to itself.
void *memset(void *destination, int value, unsigned long count) {
    volatile unsigned char *byte = destination;
    while (count--) *byte++ = (unsigned char)value;
    return destination;
}

// SwiftPM links every executable through swiftc, whose link step adds the Swift runtime's
// registration object (swiftrt.o). Its constructor never runs here (no C runtime runs
// constructors), but the two symbols it names must resolve; defined here, the link pulls
// nothing from the static Swift runtime (see Package.swift).
void swift_addNewDSOImage(const void *image) { (void)image; }
int _swift_backtrace_isThunkFunction(const char *name) {
    (void)name;
    return 0;
}
