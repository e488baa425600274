import APIModels
import Crypto
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The multi-instance deployment end to end: `cloudtask-api` and `cloudtask-worker`
/// processes on PostgreSQL, Redis and RabbitMQ (started by `scripts/e2e-workers.sh`,
/// which runs this suite alone). Each test starts the workers it needs and stops them.
@Suite("Deployment: API and worker processes", .serialized, .enabled(if: Deployment.configured))
struct DeploymentTests {
    @Test("a job runs on a worker and its output is recorded")
    func runs() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("a", ["--concurrency", "4"])
        let job = try await deployment.submit(#"{"command":"echo","args":["hello from a worker"]}"#)
        try await deployment.waitFor(job.id, "succeeded", within: 20)
        let output = try await deployment.request("GET", "/api/v1/jobs/\(job.id)/output").decode(JobOutputResource.self)
        #expect(output.stdout == "hello from a worker\n")
        await deployment.stopWorkers()
    }

    @Test(
        "a job's declared file is in object storage when the job is final: listed with its SHA-256, downloaded as written; a link is not followed",
        .enabled(if: Deployment.environment["CLOUDTASK_TEST_S3_URL"] != nil))
    func artifacts() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("artifacts", ["--concurrency", "2"])
        let script = "mkdir -p out; head -c 300000 /dev/urandom > out/data.bin; ln -s /etc/passwd leak"
        let job = try await deployment.submit(
            #"{"command":"sh","args":["-c","\#(script)"],"artifacts":["out/data.bin","leak","missing"]}"#)
        try await deployment.waitFor(job.id, "succeeded", within: 30)
        let list = try await deployment.request("GET", "/api/v1/jobs/\(job.id)/artifacts")
        let items = try #require(
            (try JSONSerialization.jsonObject(with: list.body) as? [String: Any])?["artifacts"] as? [[String: Any]])
        #expect(items.map { $0["name"] as? String } == ["out/data.bin", "leak", "missing"])
        #expect(items[0]["kept"] as? Bool == true && items[0]["size"] as? Int == 300_000, "\(list.text)")
        #expect(items[1]["error"] as? String == "is a symbolic link, which is not followed")
        #expect(items[2]["error"] as? String == "was not found")
        let download = try await deployment.request("GET", "/api/v1/jobs/\(job.id)/artifacts/out/data.bin")
        #expect(download.status == 200 && download.body.count == 300_000)
        let digest = try #require(items[0]["sha256"] as? String)
        #expect(SHA256.hash(data: download.body).map { String(format: "%02x", $0) }.joined() == digest)
        // A stream past the 1 MiB kept in PostgreSQL: the worker keeps it whole.
        let loud = try await deployment.submit(
            #"{"command":"sh","args":["-c","head -c 2000000 /dev/zero | tr '\\0' a"]}"#)
        try await deployment.waitFor(loud.id, "succeeded", within: 30)
        let log = try await deployment.request("GET", "/api/v1/jobs/\(loud.id)/log?stream=stdout")
        #expect(log.status == 200 && log.body.count == 2_000_000 && log.body.allSatisfy { $0 == UInt8(ascii: "a") })
        await deployment.stopWorkers()
    }

    @Test(
        "an uploaded file (past one S3 part) is in the working directory when the program starts, byte for byte; another user cannot name it",
        .enabled(if: Deployment.environment["CLOUDTASK_TEST_S3_URL"] != nil))
    func inputFiles() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("inputs", ["--concurrency", "2"])
        let content = Data((0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        let uploaded = try await deployment.upload(content)
        #expect(uploaded.status == 201, "\(uploaded.text)")
        let file = try #require((try JSONSerialization.jsonObject(with: uploaded.body) as? [String: Any]))
        let id = try #require(file["id"] as? String)
        let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        #expect(file["sha256"] as? String == digest && file["size"] as? Int == content.count)
        let job = try await deployment.submit(
            #"{"command":"sh","args":["-c","sha256sum in/data.bin"],"inputs":[{"file":"\#(id)","path":"in/data.bin"}]}"#)
        #expect(job.inputs?.first?.file == id)
        try await deployment.waitFor(job.id, "succeeded", within: 30)
        let output = try await deployment.request("GET", "/api/v1/jobs/\(job.id)/output").decode(JobOutputResource.self)
        #expect(output.stdout == "\(digest)  in/data.bin\n")

        let stranger = try await deployment.registerUser()
        let refused = try await deployment.request(
            "POST", "/api/v1/jobs", json: #"{"command":"echo","args":["x"],"inputs":[{"file":"\#(id)","path":"x"}]}"#,
            token: stranger)
        #expect(refused.status == 422 && refused.text.contains("inputs[0].file"), "\(refused.text)")
        await deployment.stopWorkers()
    }

    @Test("stopping a running job cancels it within 5 s and its process is gone; a scheduled job stopped never runs")
    func stops() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("a", ["--concurrency", "4"])
        let sleeper = try await deployment.submit(#"{"command":"sleep","args":["60.25"]}"#)
        try await deployment.waitFor(sleeper.id, "running", within: 20)
        try await eventually(within: .seconds(5)) { Deployment.processRunning("sleep 60.25") }
        #expect(try await deployment.request("POST", "/api/v1/jobs/\(sleeper.id)/stop").status == 202)
        try await deployment.waitFor(sleeper.id, "cancelled", within: 5)
        #expect(!Deployment.processRunning("sleep 60.25"))

        let runAt = Date().addingTimeInterval(3).formatted(.iso8601)
        let scheduled = try await deployment.submit(#"{"command":"echo","args":["never"],"run_at":"\#(runAt)"}"#)
        #expect(scheduled.status == "scheduled")
        #expect(try await deployment.request("POST", "/api/v1/jobs/\(scheduled.id)/stop").status == 200)
        try await Task.sleep(for: .seconds(5))
        let after = try await deployment.job(scheduled.id)
        #expect(after.status == "cancelled" && after.startedAt == nil)

        // A stop sent while the job is being picked up still cancels it.
        let picked = try await deployment.submit(#"{"command":"sleep","args":["30.5"]}"#)
        _ = try await deployment.request("POST", "/api/v1/jobs/\(picked.id)/stop")
        try await deployment.waitFor(picked.id, "cancelled", within: 10)
        try await Task.sleep(for: .seconds(1))
        #expect(!Deployment.processRunning("sleep 30.5"))
        await deployment.stopWorkers()
    }

    @Test("a timeout fails the job with code timeout; false with max_attempts 3 runs three times, then fails")
    func failures() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("a", ["--concurrency", "4"])
        let slow = try await deployment.submit(#"{"command":"sleep","args":["30"],"timeout_seconds":1}"#)
        let failing = try await deployment.submit(#"{"command":"false","max_attempts":3}"#)
        #expect(try await deployment.waitFor(slow.id, "failed", within: 20).error?.code == "timeout")
        #expect(try await deployment.waitFor(failing.id, "failed", within: 90).attempts == 3)
        await deployment.stopWorkers()
    }

    @Test("two workers share the load")
    func sharing() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("a", ["--concurrency", "4"])
        try deployment.startWorker("b", ["--concurrency", "1"])
        try await Task.sleep(for: .seconds(2))
        var ids: [String] = []
        for n in 1...6 { ids.append(try await deployment.submit(#"{"command":"sleep","args":["1.\#(n)"]}"#).id) }
        for id in ids { try await deployment.waitFor(id, "succeeded", within: 60) }
        let runs = { (name: String) in deployment.logText(of: name).components(separatedBy: "job run finished").count - 1 }
        #expect(runs("b") > 0, "worker b ran nothing (a: \(runs("a")))")
        await deployment.stopWorkers()
    }

    @Test("SIGTERM: the worker takes no new job, lets the running one finish within its grace, and exits; it does not run again")
    func gracefulShutdown() async throws {
        let deployment = try await Deployment.shared()
        let worker = try deployment.startWorker("graceful", ["--concurrency", "4"])
        let job = try await deployment.submit(#"{"command":"sleep","args":["2.5"]}"#)
        try await deployment.waitFor(job.id, "running", within: 20)
        kill(worker.processIdentifier, SIGTERM)
        try await eventually(within: .seconds(15)) { !worker.isRunning }
        deployment.forget("graceful")
        #expect(deployment.logText(of: "graceful").contains("job run finished attempt=1 job_id=\(job.id) outcome=succeeded"))
        try deployment.startWorker("a", ["--concurrency", "4"])
        #expect(try await deployment.waitFor(job.id, "succeeded", within: 15).attempts == 1)
        await deployment.stopWorkers()
    }

    @Test("duplicated and stale reports are recorded once; a malformed one is dead-lettered")
    func staleReports() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("a", ["--concurrency", "4"])
        let job = try await deployment.submit(#"{"command":"echo","args":["once"]}"#)
        try await deployment.waitFor(job.id, "succeeded", within: 20)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let now = formatter.string(from: Date())
        for _ in 1...2 {
            try await publishRaw(
                deployment, "job.finished",
                """
                {"type":"job.finished","version":1,"event_id":"\(UUID())","occurred_at":"\(now)","job_id":"\(job.id)","attempt":1,\
                "worker_id":"impostor","outcome":"failed","exit_code":7,"failure":{"code":"nonzero_exit","message":"exit 7"},\
                "output":{"stdout":"again","stderr":"","stdout_offset":0,"stderr_offset":0,"truncated":false}}
                """)
            try await publishRaw(
                deployment, "job.output",
                """
                {"type":"job.output","version":1,"event_id":"\(UUID())","occurred_at":"\(now)","job_id":"\(job.id)","attempt":1,\
                "worker_id":"impostor","output":{"stdout":"extra","stderr":"","stdout_offset":5,"stderr_offset":0,"truncated":false}}
                """)
        }
        try await publishRaw(deployment, "job.finished", #"{"type":"job.finished","version":1,"garbage":true}"#)
        try await Task.sleep(for: .seconds(2))
        let after = try await deployment.job(job.id)
        #expect(after.status == "succeeded" && after.exitCode == 0)
        let output = try await deployment.request("GET", "/api/v1/jobs/\(job.id)/output").decode(JobOutputResource.self)
        #expect(output.stdout == "once\n")
        await deployment.stopWorkers()
    }

    @Test("RabbitMQ down: every submission is a 201, readiness is degraded, and every job completes once it is back")
    func brokerOutage() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("a", ["--concurrency", "4"])
        try await deployment.runScript("CLOUDTASK_E2E_RABBITMQ_STOP")
        var ids: [String] = []
        do {
            for n in 1...5 {
                let answer = try await deployment.request(
                    "POST", "/api/v1/jobs", json: #"{"command":"echo","args":["queued \#(n)"]}"#)
                #expect(answer.status == 201)
                if answer.status == 201 { ids.append(try answer.decode(JobResource.self).id) }
            }
            let ready = try await deployment.request("GET", "/health/ready")
            #expect(ready.status == 200 && ready.text.contains(#""rabbitmq":"down""#))
        } catch {
            try await deployment.runScript("CLOUDTASK_E2E_RABBITMQ_START")
            throw error
        }
        try await deployment.runScript("CLOUDTASK_E2E_RABBITMQ_START")
        for id in ids { try await deployment.waitFor(id, "succeeded", within: 90) }
        #expect(ids.count == 5)
        await deployment.stopWorkers()
    }

    @Test(
        "kill -9 of a worker mid-job: its program and a grandchild that left the group die too, the job succeeds on a restarted worker, and no cgroup of the dead worker is left"
    )
    func killedWorker() async throws {
        let deployment = try await Deployment.shared()
        let worker = try deployment.startWorker("doomed", ["--concurrency", "4"])
        let job = try await deployment.submit(#"{"command":"sh","args":["-c","(setsid sleep 4.25 &); sleep 3.75"]}"#)
        try await deployment.waitFor(job.id, "running", within: 30)
        try await eventually(within: .seconds(5)) {
            Deployment.processRunning("sleep 3.75") && Deployment.processRunning("sleep 4.25")
        }
        let doomed = worker.processIdentifier
        kill(doomed, SIGKILL)
        deployment.forget("doomed")
        try await Task.sleep(for: .milliseconds(500))
        #expect(!Deployment.processRunning("sleep 3.75"))
        #expect(!Deployment.processRunning("sleep 4.25"))
        try deployment.startWorker("a2", ["--concurrency", "4"])
        try await deployment.waitFor(job.id, "succeeded", within: 60)
        // The restarted worker removed what the dead one left in the cgroup hierarchies.
        let pids = "/sys/fs/cgroup/pids"
        if FileManager.default.fileExists(atPath: pids) {
            let leftovers = (FileManager.default.enumerator(atPath: pids)?.allObjects as? [String] ?? [])
                .filter { $0.contains("cloudtask-w\(doomed)-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
        await deployment.stopWorkers()
    }

    @Test("metrics: the API counts the jobs it created and a 429; a worker counts its runs and results, none left in flight")
    func metrics() async throws {
        let deployment = try await Deployment.shared()
        let createdBefore = try await deployment.series("cloudtask_jobs_created_total") ?? 0
        let answeredBefore =
            try await deployment.series("http_requests_total", [#"method="POST""#, #"route="/api/v1/jobs""#, #"status="201""#])
            ?? 0
        let port = deployment.apiPort + 1
        let worker = "http://127.0.0.1:\(port)"
        try deployment.startWorker("metrics", ["--concurrency", "2"], metricsPort: port)
        try await eventually(within: .seconds(10)) {
            (try? await deployment.request("GET", "/health/ready", base: worker).text.contains(#""status":"ok""#)) == true
        }
        // As root (CI), every part of the job sandbox is there, and the worker says so.
        if geteuid() == 0 {
            let ready = try await deployment.request("GET", "/health/ready", base: worker).text
            #expect(ready.contains(#""sandbox":"sandbox on: pid namespace"#) && !ready.contains("missing"), "\(ready)")
        }
        let first = try await deployment.submit(#"{"command":"echo","args":["metered 1"]}"#)
        let second = try await deployment.submit(#"{"command":"echo","args":["metered 2"]}"#)
        try await deployment.waitFor(first.id, "succeeded", within: 20)
        try await deployment.waitFor(second.id, "succeeded", within: 20)
        try await Task.sleep(for: .seconds(1))
        #expect(try await deployment.series("cloudtask_jobs_created_total") == createdBefore + 2)
        #expect(
            try await deployment.series("http_requests_total", [#"method="POST""#, #"route="/api/v1/jobs""#, #"status="201""#])
                == answeredBefore + 2)
        #expect(try await deployment.series("cloudtask_jobs_finished_total", [#"status="succeeded""#], base: worker) == 2)
        #expect(try await deployment.series("cloudtask_job_run_seconds_count", base: worker) == 2)
        #expect(try await deployment.series("cloudtask_worker_jobs_in_flight", base: worker) == 0)
        #expect(try await deployment.series("cloudtask_queue_publish_seconds_count", [#"kind="report""#], base: worker) != nil)
        if geteuid() == 0 {  // boxed runs (CI): what they used, by status, and the sandbox's parts
            for name in [
                "cloudtask_job_cpu_seconds_count", "cloudtask_job_memory_peak_bytes_count", "cloudtask_job_tasks_peak_count",
            ] {
                #expect(try await deployment.series(name, [#"status="succeeded""#], base: worker) == 2, "\(name)")
            }
            #expect(
                try await deployment.series("cloudtask_sandbox_feature", [#"feature="network namespace""#], base: worker) == 1)
        }

        // Five wrong passwords are allowed (401), the sixth login is refused by the limit (429).
        let rejectedBefore = try await deployment.series("cloudtask_rate_limit_rejections_total", [#"policy="login""#]) ?? 0
        for attempt in 1...6 {
            let answer = try await deployment.request(
                "POST", "/api/v1/auth/login", json: #"{"email":"e2e@example.com","password":"wrong password"}"#, token: "")
            #expect(answer.status == (attempt <= 5 ? 401 : 429), "login \(attempt)")
        }
        #expect(try await deployment.series("cloudtask_rate_limit_rejections_total", [#"policy="login""#]) == rejectedBefore + 1)
        #expect(try await deployment.series("http_requests_total", [#"route="/api/v1/auth/login""#, #"status="429""#]) == 1)
        for name in [
            "http_request_duration_seconds_count", "cloudtask_cache_requests_total", "cloudtask_rate_limit_fallbacks_total",
            "cloudtask_outbox_backlog", "cloudtask_outbox_lag_seconds", "cloudtask_queue_publish_seconds_count",
        ] {
            #expect(try await deployment.series(name) != nil, "the API's /metrics lacks \(name)")
        }
        await deployment.stopWorkers()
    }

    @Test("a job that kills its worker every time fails worker_lost instead of looping (and in the sandbox cannot)")
    func jobKillsItsWorker() async throws {
        let deployment = try await Deployment.shared()
        let job = try await deployment.submit(#"{"command":"pkill","args":["-9","-f","worker-id e2e-victim"]}"#)
        var starts = 0
        while starts < 8 {
            starts += 1
            // Without the sandbox: in it, the job could not see its worker, let alone kill it.
            let victim = try deployment.startWorker("victim", ["--concurrency", "1"], environment: ["CLOUDTASK_SANDBOX": "off"])
            // Generous: on a loaded machine a worker can take seconds to start and take the job;
            // a victim that dies (the usual case) ends the wait at once.
            let deadline = ContinuousClock.now + .seconds(30)
            while victim.isRunning, ContinuousClock.now < deadline, try await deployment.job(job.id).status != "failed" {
                try await Task.sleep(for: .milliseconds(100))
            }
            if try await deployment.job(job.id).status == "failed" { break }
            await deployment.stopWorkers()  // dead already, or (having skipped the job) alive: stop it either way
        }
        await deployment.stopWorkers()
        // The victims died before recording every report they sent: a results processor
        // alone (no executor: it would run the job) catches up.
        try deployment.startWorker("results", ["--role", "results"])
        let failed = try await deployment.waitFor(job.id, "failed", within: 60)
        #expect(failed.error?.code == "worker_lost", "after \(starts) worker starts")
        await deployment.stopWorkers()
        // The same job on a worker with its sandbox (as root: CI) sees no worker to kill.
        if geteuid() == 0 {
            let boxed = try await deployment.submit(#"{"command":"pkill","args":["-9","-f","worker-id e2e-boxed"]}"#)
            let worker = try deployment.startWorker("boxed", ["--concurrency", "1"])
            let ended = try await deployment.waitFor(boxed.id, "failed", within: 30)
            #expect(ended.error?.code == "nonzero_exit" && worker.isRunning)
            await deployment.stopWorkers()
        }
    }

    /// Publishes a message as another program would, through the management API.
    func publishRaw(_ deployment: Deployment, _ routingKey: String, _ payload: String) async throws {
        let port = Deployment.environment["CLOUDTASK_E2E_AMQP_HTTP_PORT"] ?? "15672"
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/exchanges/%2f/cloudtask.jobs/publish")!)
        request.httpMethod = "POST"
        request.setValue("Basic " + Data("guest:guest".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body: [String: Any] = [
            "properties": ["delivery_mode": 2, "content_type": "application/json"], "routing_key": routingKey,
            "payload": payload, "payload_encoding": "string",
        ]
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, _) = try await URLSession.shared.data(for: request)
        #expect(String(decoding: data, as: UTF8.self).contains(#""routed":true"#), "could not publish a raw \(routingKey)")
    }
}

/// Polls `condition` until it holds; throws if it does not within `limit`.
func eventually(within limit: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw DeploymentError("a condition did not hold within \(limit)") }
        try await Task.sleep(for: .milliseconds(100))
    }
}
