#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(CT_NEWNS == CLONE_NEWNS && CT_NEWUTS == CLONE_NEWUTS && CT_NEWIPC == CLONE_NEWIPC
    && CT_NEWPID == CLONE_NEWPID && CT_NEWNET == CLONE_NEWNET, "namespace flags");

static void apply_limit(int resource, unsigned long long value) {
    if (value == 0) return;
    struct rlimit limit = { (rlim_t)value, (rlim_t)value };
    setrlimit(resource, &limit);
}

/// Reports errno through the close-on-exec pipe and exits: only async-signal-safe calls.
static void child_fail(int report_fd) {
    int code = errno != 0 ? errno : EIO;  // 0 on the pipe means "up", never a failure
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
    /// In a box: the write end of the status pipe, and the init program opened
    /// (O_PATH) before the mounts, which may cover the directory it is in.
    int status_fd;
    int init_fd;
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

/// Starts `main` (child_main: the program; box_main: a box) with CLONE_VM | CLONE_VFORK
/// (and the box's namespaces), as posix_spawn does: no
/// copy of the caller's page tables (fork's copy, the copy-on-write faults and their TLB
/// shootdowns cost more than the rest of running a short job); the calling thread waits
/// until the child has exec'd. All signals stay blocked in this thread meanwhile, and
/// the child starts blocked. Returns the pid, or -1 with errno set.
static pid_t start_child(int (*main)(void *), child_arguments *a, int extra_flags) {
    void *stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = clone(main, (char *)stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD | extra_flags, a);
    int clone_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, CHILD_STACK_BYTES);
    errno = clone_error;
    return child;
}

/// Writes `value` in decimal into `buffer` (at least 24 bytes): no stdio in the child.
static void decimal(unsigned long long value, char *buffer) {
    char digits[24];
    int length = 0;
    do { digits[length++] = (char)('0' + value % 10); value /= 10; } while (value && length < 23);
    int at = 0;
    while (length > 0) buffer[at++] = digits[--length];
    buffer[at] = 0;
}

/// Puts `fd` at `target` (3 or 4 for the init), whatever numbers the two have now.
static int place(int fd, int target) {
    if (fd == target) return fcntl(fd, F_SETFD, 0) == 0 ? 0 : -1;
    return dup2(fd, target) == target ? 0 : -1;
}

/// The box's first process, between clone (in the new namespaces, in this process's
/// memory, while the parent waits) and the execve of the init program: system calls
/// only, as in child_main. See ct_spawn in cspawn.h.
static int box_main(void *argument) {
    child_arguments *a = argument;
    const ct_sandbox *box = &a->request->sandbox;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction action = { 0 };
        // A stop is for the program (the worker signals the whole group): the init stays
        // to reap it and pass on its status. SIGPIPE stays fatal: see the check below.
        int ignore = sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
        action.sa_handler = ignore ? SIG_IGN : SIG_DFL;
        sigaction(sig, &action, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    // A network namespace kept for reuse (see ct_netns_create), instead of a new one.
    if (box->network_fd >= 0 && setns(box->network_fd, CLONE_NEWNET) != 0) child_fail(a->report[1]);
    // Into the run's cgroups before anything else runs ("0": the writing thread).
    for (int i = 0; i < box->cgroup_procs_count; i++) {
        if (write(box->cgroup_procs_fds[i], "0", 1) != 1) child_fail(a->report[1]);
    }
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(a->report[1]);
    // If the worker died before the line above, its end of the report pipe is closed and
    // this write raises SIGPIPE, which ends the box.
    int alive = 0;
    if (write(a->report[1], &alive, sizeof alive) != (ssize_t)sizeof alive) _exit(137);
    if (box->namespaces & CLONE_NEWNS) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) child_fail(a->report[1]);
        if (box->namespaces & CLONE_NEWPID) {
            if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) child_fail(a->report[1]);
        }
        char options[64] = "mode=1777,size=";
        decimal(box->tmp_bytes ? box->tmp_bytes : (64ULL << 20), options + 15);
        for (const char *const *path = box->private_paths; path && *path; path++) {
            if (mount("tmpfs", *path, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0 && errno != ENOENT && errno != ENOTDIR)
                child_fail(a->report[1]);
        }
        for (const char *const *path = box->hidden_paths; path && *path; path++) {
            if (mount("tmpfs", *path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0
                && errno != ENOENT && errno != ENOTDIR)
                child_fail(a->report[1]);
        }
    }
    if (box->namespaces & CLONE_NEWUTS) sethostname("cloudtask-job", 13);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) child_fail(a->report[1]);
    // Out of the way of 0-4 first, then into place: 0 /dev/null, 1 and 2 the output
    // pipes, 3 the report pipe, 4 the status pipe; everything else closed.
    int report = fcntl(a->report[1], F_DUPFD_CLOEXEC, 10);
    int status = fcntl(a->status_fd, F_DUPFD_CLOEXEC, 10);
    int out = fcntl(a->out[1], F_DUPFD_CLOEXEC, 10);
    int err = fcntl(a->err[1], F_DUPFD_CLOEXEC, 10);
    if (report < 0 || status < 0 || out < 0 || err < 0) child_fail(a->report[1]);
    if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || place(report, 3) != 0
        || place(status, 4) != 0)
        child_fail(report);
    int init = fcntl(a->init_fd, F_DUPFD_CLOEXEC, 10);
    if (init < 0 || dup3(init, 5, O_CLOEXEC) != 5) child_fail(3);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 6, ~0U, 0) != 0)
#endif
        for (int fd = 6; fd < 65536; fd++) close(fd);
    syscall(SYS_execveat, 5, "", box->init_argv, a->request->envp, AT_EMPTY_PATH);
    child_fail(3);
    return 127;
}

static void close_pair(int pair[2]) { close(pair[0]); close(pair[1]); }

static int spawn(const ct_spawn_request *request, child_arguments *pa, int boxed, int status[2], pid_t *pid,
                 int *stdout_fd, int *stderr_fd, int *status_fd);

int ct_spawn(const ct_spawn_request *request, pid_t *pid, int *stdout_fd, int *stderr_fd, int *status_fd) {
    child_arguments a = { .request = request, .parent = getpid(), .status_fd = -1, .init_fd = -1 };
    int boxed = request->sandbox.namespaces != 0 || request->sandbox.cgroup_procs_count > 0;
    int status[2] = { -1, -1 };
    if (boxed) {
        a.init_fd = open(request->sandbox.init_path, O_PATH | O_CLOEXEC);
        if (a.init_fd < 0) return errno;
    }
    int result = spawn(request, &a, boxed, status, pid, stdout_fd, stderr_fd, status_fd);
    if (a.init_fd >= 0) close(a.init_fd);
    return result;
}

static int spawn(const ct_spawn_request *request, child_arguments *pa, int boxed, int status[2], pid_t *pid,
                 int *stdout_fd, int *stderr_fd, int *status_fd) {
    child_arguments a = *pa;
    if (pipe2(a.out, O_CLOEXEC) != 0) return errno;
    if (pipe2(a.err, O_CLOEXEC) != 0) { int e = errno; close_pair(a.out); return e; }
    if (pipe2(a.report, O_CLOEXEC) != 0) { int e = errno; close_pair(a.out); close_pair(a.err); return e; }
    if (boxed && pipe2(status, O_CLOEXEC) != 0) {
        int e = errno; close_pair(a.out); close_pair(a.err); close_pair(a.report); return e;
    }
    pid_t child;
    if (boxed) {
        a.status_fd = status[1];
        int flags = request->sandbox.namespaces;
        if (request->sandbox.network_fd >= 0) flags &= ~CLONE_NEWNET;
        child = start_child(box_main, &a, flags);
    } else {
        child = start_child(child_main, &a, 0);
    }
    if (child < 0) {
        int e = errno;
        close_pair(a.out); close_pair(a.err); close_pair(a.report);
        if (boxed) close_pair(status);
        return e;
    }
    close(a.out[1]);
    close(a.err[1]);
    close(a.report[1]);
    if (boxed) close(status[1]);
    // Also from the parent, to close the window before the child's own setpgid.
    setpgid(child, child);
    // The report pipe carries errno values (0: "the init is up"); it reaches end of file
    // once the program has exec'd (and, in a box, the init let go of it).
    int code = 0;
    for (;;) {
        int value = 0;
        ssize_t got;
        do { got = read(a.report[0], &value, sizeof value); } while (got < 0 && errno == EINTR);
        if (got != (ssize_t)sizeof value) break;
        if (value != 0 && code == 0) code = value;
    }
    close(a.report[0]);
    if (code != 0) {
        // The box or the exec failed: end and reap the child, and report why.
        int wait_status;
        if (boxed) kill(child, SIGKILL);
        while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {}
        close(a.out[0]);
        close(a.err[0]);
        if (boxed) close(status[0]);
        return code;
    }
    fcntl(a.out[0], F_SETFL, fcntl(a.out[0], F_GETFL) | O_NONBLOCK);
    fcntl(a.err[0], F_SETFL, fcntl(a.err[0], F_GETFL) | O_NONBLOCK);
    *pid = child;
    *stdout_fd = a.out[0];
    *stderr_fd = a.err[0];
    *status_fd = boxed ? status[0] : -1;
    return 0;
}

int ct_read_status(int status_fd, int *status) {
    int value = 0;
    ssize_t got;
    do { got = read(status_fd, &value, sizeof value); } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof value) return 0;
    *status = value;
    return 1;
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

int ct_netns_create(void) {
    int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original < 0) return -errno;
    if (unshare(CLONE_NEWNET) != 0) {
        int e = errno;
        close(original);
        return -e;
    }
    int made = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int open_error = errno;
    // Back to the process's own namespace. This cannot fail for a root process holding a
    // descriptor of it; if it did, the thread would carry on with no network at all,
    // which would fail in ways far from here, so stop instead.
    if (setns(original, CLONE_NEWNET) != 0) abort();
    close(original);
    return made >= 0 ? made : -open_error;
}
