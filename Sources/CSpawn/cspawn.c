#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void apply_limit(int resource, unsigned long long value) {
    if (value == 0) return;
    struct rlimit limit = { (rlim_t)value, (rlim_t)value };
    setrlimit(resource, &limit);
}

/// Reports errno through the close-on-exec pipe and exits: only async-signal-safe calls.
static void child_fail(int report_fd) {
    int code = errno;
    ssize_t ignored = write(report_fd, &code, sizeof code);
    (void)ignored;
    _exit(127);
}

static void close_other_descriptors(int keep) {
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
#ifdef SYS_close_range
    if (keep > 3) syscall(SYS_close_range, 3, keep - 1, 0);
    if (syscall(SYS_close_range, keep + 1, ~0U, 0) == 0) return;
#endif
    for (int fd = 3; fd < max; fd++) {
        if (fd != keep) close(fd);
    }
}

/// What the child reads from the parent's memory (shared: see ct_spawn).
typedef struct {
    const ct_spawn_request *request;
    int out[2], err[2], report[2];
    pid_t parent;
} child_arguments;

/// The child, between clone and execve. It runs on its own stack but in the parent's
/// memory, while the parent waits (CLONE_VFORK): it writes nothing but its own stack,
/// calls nothing but system calls, and changes identity with raw syscalls, because
/// glibc's setuid/setgid/setgroups would broadcast the change to the parent's threads.
static int child_main(void *argument) {
    const child_arguments *a = argument;
    const ct_spawn_request *request = a->request;
    // Default dispositions before anything unblocks signals: a handler of the parent's
    // must never run here, on the parent's memory.
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            struct sigaction action = { 0 };
            action.sa_handler = SIG_DFL;
            sigaction(sig, &action, NULL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    // Its own process group, so that a stop can signal everything it started.
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) child_fail(a->report[1]);
    if (dup2(devnull, 0) < 0 || dup2(a->out[1], 1) < 0 || dup2(a->err[1], 2) < 0) child_fail(a->report[1]);
    close_other_descriptors(a->report[1]);
    apply_limit(RLIMIT_CPU, request->limits.cpu_seconds);
    apply_limit(RLIMIT_AS, request->limits.address_space_bytes);
    apply_limit(RLIMIT_NPROC, request->limits.processes);
    apply_limit(RLIMIT_FSIZE, request->limits.file_size_bytes);
    apply_limit(RLIMIT_NOFILE, request->limits.open_files);
    struct rlimit nocore = { 0, 0 };
    setrlimit(RLIMIT_CORE, &nocore);
    if (request->change_user) {
        // Order matters: supplementary groups and gid while still root, uid last.
        if (syscall(SYS_setgroups, 0, NULL) != 0) child_fail(a->report[1]);
        if (syscall(SYS_setresgid, request->gid, request->gid, request->gid) != 0) child_fail(a->report[1]);
        if (syscall(SYS_setresuid, request->uid, request->uid, request->uid) != 0) child_fail(a->report[1]);
    }
    // Dies with its worker. Set after the change of identity, which clears it
    // (prctl(2): a change of credentials resets the parent-death signal); and if the
    // worker died before this line, go now.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(a->report[1]);
    if (getppid() != a->parent) _exit(137);
    if (chdir(request->directory) != 0) child_fail(a->report[1]);
    execve(request->path, request->argv, request->envp);
    child_fail(a->report[1]);
    return 127;
}

/// The child's stack: it only runs child_main and the system calls above.
#define CHILD_STACK_BYTES (256 * 1024)

int ct_spawn(const ct_spawn_request *request, pid_t *pid, int *stdout_fd, int *stderr_fd) {
    child_arguments a = { .request = request, .parent = getpid() };
    if (pipe2(a.out, O_CLOEXEC) != 0) return errno;
    if (pipe2(a.err, O_CLOEXEC) != 0) { int e = errno; close(a.out[0]); close(a.out[1]); return e; }
    if (pipe2(a.report, O_CLOEXEC) != 0) {
        int e = errno; close(a.out[0]); close(a.out[1]); close(a.err[0]); close(a.err[1]); return e;
    }
    void *stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close(a.out[0]); close(a.out[1]); close(a.err[0]); close(a.err[1]); close(a.report[0]); close(a.report[1]);
        return e;
    }
    // CLONE_VM | CLONE_VFORK, as posix_spawn does: no copy of the worker's page tables
    // (fork's copy, the copy-on-write faults and their TLB shootdowns cost more than the
    // rest of running a short job), and this thread waits until the child has exec'd.
    // All signals stay blocked in this thread meanwhile, and the child starts blocked.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = clone(child_main, (char *)stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    int clone_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, CHILD_STACK_BYTES);
    if (child < 0) {
        close(a.out[0]); close(a.out[1]); close(a.err[0]); close(a.err[1]); close(a.report[0]); close(a.report[1]);
        return clone_error;
    }
    close(a.out[1]);
    close(a.err[1]);
    close(a.report[1]);
    // Also from the parent, to close the window before the child's own setpgid.
    setpgid(child, child);
    int code = 0;
    ssize_t got;
    do { got = read(a.report[0], &code, sizeof code); } while (got < 0 && errno == EINTR);
    close(a.report[0]);
    if (got == (ssize_t)sizeof code) {
        // exec failed: reap the child and report why.
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        close(a.out[0]);
        close(a.err[0]);
        return code == 0 ? EIO : code;
    }
    fcntl(a.out[0], F_SETFL, fcntl(a.out[0], F_GETFL) | O_NONBLOCK);
    fcntl(a.err[0], F_SETFL, fcntl(a.err[0], F_GETFL) | O_NONBLOCK);
    *pid = child;
    *stdout_fd = a.out[0];
    *stderr_fd = a.err[0];
    return 0;
}

int ct_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int ct_try_wait(pid_t pid, int *status) {
    pid_t result;
    do { result = waitpid(pid, status, WNOHANG); } while (result < 0 && errno == EINTR);
    if (result == pid) return 1;
    return result == 0 ? 0 : -1;
}

int ct_decode_status(int status, int *value) {
    if (WIFEXITED(status)) { *value = WEXITSTATUS(status); return 1; }
    if (WIFSIGNALED(status)) { *value = WTERMSIG(status); return 2; }
    *value = 0;
    return 0;
}
