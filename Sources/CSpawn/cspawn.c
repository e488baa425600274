#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
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

int ct_spawn(const ct_spawn_request *request, pid_t *pid, int *stdout_fd, int *stderr_fd) {
    int out[2], err[2], report[2];
    if (pipe2(out, O_CLOEXEC) != 0) return errno;
    if (pipe2(err, O_CLOEXEC) != 0) { int e = errno; close(out[0]); close(out[1]); return e; }
    if (pipe2(report, O_CLOEXEC) != 0) {
        int e = errno; close(out[0]); close(out[1]); close(err[0]); close(err[1]); return e;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(out[0]); close(out[1]); close(err[0]); close(err[1]); close(report[0]); close(report[1]);
        return e;
    }
    if (child == 0) {
        // Its own process group, so that a stop can signal everything it started.
        setpgid(0, 0);
        // Dies with its worker; if the worker died before this line, go now.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report[1]);
        if (getppid() != parent) _exit(137);
        // Default signal dispositions and an empty mask (the parent's may differ).
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < 32; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0) child_fail(report[1]);
        if (dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) child_fail(report[1]);
        close_other_descriptors(report[1]);
        apply_limit(RLIMIT_CPU, request->limits.cpu_seconds);
        apply_limit(RLIMIT_AS, request->limits.address_space_bytes);
        apply_limit(RLIMIT_NPROC, request->limits.processes);
        apply_limit(RLIMIT_FSIZE, request->limits.file_size_bytes);
        apply_limit(RLIMIT_NOFILE, request->limits.open_files);
        struct rlimit nocore = { 0, 0 };
        setrlimit(RLIMIT_CORE, &nocore);
        if (request->change_user) {
            // Order matters: supplementary groups and gid while still root, uid last.
            if (setgroups(0, NULL) != 0) child_fail(report[1]);
            if (setgid(request->gid) != 0) child_fail(report[1]);
            if (setuid(request->uid) != 0) child_fail(report[1]);
        }
        if (chdir(request->directory) != 0) child_fail(report[1]);
        execve(request->path, request->argv, request->envp);
        child_fail(report[1]);
    }
    close(out[1]);
    close(err[1]);
    close(report[1]);
    // Also from the parent, to close the window before the child's own setpgid.
    setpgid(child, child);
    int code = 0;
    ssize_t got;
    do { got = read(report[0], &code, sizeof code); } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        // exec failed: reap the child and report why.
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        close(out[0]);
        close(err[0]);
        return code == 0 ? EIO : code;
    }
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
    *pid = child;
    *stdout_fd = out[0];
    *stderr_fd = err[0];
    return 0;
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
