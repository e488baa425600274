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
// Descriptors: 0 /dev/null, 1 and 2 the job's output pipes, 3 the spawn report pipe
// (errno values; the worker reads it until end of file), 4 the status pipe.
// Arguments: uid gid change-user cpu-seconds address-space processes file-size open-files
// directory program [program arguments...]; the environment is the program's.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { REPORT_FD = 3, STATUS_FD = 4, FIXED_ARGUMENTS = 10 };

static void fail(void) {
    int code = errno != 0 ? errno : EIO;
    ssize_t ignored = write(REPORT_FD, &code, sizeof code);
    (void)ignored;
    _exit(127);
}

static unsigned long long number(const char *text) {
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != 0) {
        errno = EINVAL;
        fail();
    }
    return value;
}

static void apply_limit(int resource, unsigned long long value) {
    if (value == 0) return;
    struct rlimit limit = { (rlim_t)value, (rlim_t)value };
    setrlimit(resource, &limit);
}

int main(int argc, char **argv, char **envp) {
    if (argc < FIXED_ARGUMENTS + 1) {
        errno = EINVAL;
        fail();
    }
    uid_t uid = (uid_t)number(argv[1]);
    gid_t gid = (gid_t)number(argv[2]);
    int change_user = (int)number(argv[3]);
    unsigned long long limits[5];
    for (int i = 0; i < 5; i++) limits[i] = number(argv[4 + i]);
    const char *directory = argv[9];
    char **program = argv + FIXED_ARGUMENTS;
    if (fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC) != 0 || fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC) != 0) fail();
    pid_t child = fork();
    if (child < 0) fail();
    if (child == 0) {
        // The program: default signal handling (the init ignores stops; the program
        // must not), the rlimits, its own identity, and it dies with this init.
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        apply_limit(RLIMIT_CPU, limits[0]);
        apply_limit(RLIMIT_AS, limits[1]);
        apply_limit(RLIMIT_NPROC, limits[2]);
        apply_limit(RLIMIT_FSIZE, limits[3]);
        apply_limit(RLIMIT_NOFILE, limits[4]);
        struct rlimit nocore = { 0, 0 };
        setrlimit(RLIMIT_CORE, &nocore);
        if (change_user) {
            if (syscall(SYS_setgroups, 0, NULL) != 0) fail();
            if (syscall(SYS_setresgid, gid, gid, gid) != 0) fail();
            if (syscall(SYS_setresuid, uid, uid, uid) != 0) fail();
        }
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
        if (chdir(directory) != 0) fail();
        execve(program[0], program, envp);
        fail();
    }
    // Only the program holds the output pipes and the report pipe now.
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
        close(devnull);
    }
    close(REPORT_FD);
    int program_status = 0;
    for (;;) {
        int status;
        pid_t reaped = waitpid(-1, &status, 0);
        if (reaped == child) {
            program_status = status;
            break;
        }
        if (reaped < 0 && errno != EINTR) break;
    }
    ssize_t ignored = write(STATUS_FD, &program_status, sizeof program_status);
    (void)ignored;
    return 0;
}
