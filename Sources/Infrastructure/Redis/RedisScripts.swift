/// The Lua scripts the Redis adapters run. Each makes a read-compare-write atomic, in
/// one round trip; `RedisClient.evaluate` loads them on first use.
enum RedisScripts {
    /// The access gate and the rate limiter: is the token revoked, then one GCRA count
    /// per limit (the same arithmetic as `GCRA.evaluate`, tested by the same contract).
    /// KEYS: the first ARGV[1] keys are denylist entries, then (when there are any) the
    /// denylist's completeness marker, then arrival times.
    /// ARGV: that count, now (ms), then window (ms) and limit for each limit.
    /// Returns {-1} when revoked, else {allowed, used ms, retry ms} per limit, followed
    /// (when entries were asked about) by the marker's state: 2 complete, 1 being
    /// refilled, 0 absent (Redis lost its data: a "not listed" means nothing).
    static let admit = RedisScript(
        """
        local revocations = tonumber(ARGV[1])
        local first = 1
        local complete = 2
        if revocations > 0 then
          if redis.call('EXISTS', unpack(KEYS, 1, revocations)) > 0 then return {-1} end
          local marker = redis.call('GET', KEYS[revocations + 1])
          if marker == '1' then complete = 2 elseif marker then complete = 1 else complete = 0 end
          first = revocations + 2
        end
        local now = tonumber(ARGV[2])
        local out = {}
        for i = first, #KEYS do
          local j = 3 + (i - first) * 2
          local window = tonumber(ARGV[j])
          local interval = math.max(1, math.floor(window / tonumber(ARGV[j + 1])))
          local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or now), now)
          local newtat = tat + interval
          if now < newtat - window then
            out[#out + 1] = 0; out[#out + 1] = tat - now; out[#out + 1] = newtat - window - now
          else
            redis.call('SET', KEYS[i], string.format("%d", newtat), "PX", string.format("%d", newtat - now))
            out[#out + 1] = 1; out[#out + 1] = newtat - now; out[#out + 1] = 0
          end
        end
        if revocations > 0 then out[#out + 1] = complete end
        return out
        """)

    /// Is KEYS[1..n-1] (denylist entries) listed? 1 yes; 0 no and the list is complete
    /// (marker KEYS[n] is '1'); -1 unknown (the list lost data or is being refilled).
    static let isRevoked = RedisScript(
        """
        if redis.call('EXISTS', unpack(KEYS, 1, #KEYS - 1)) > 0 then return 1 end
        if redis.call('GET', KEYS[#KEYS]) == '1' then return 0 end
        return -1
        """)

    /// Completes a refill: the marker KEYS[1] becomes '1' (complete) only if it still
    /// holds this refill's token ARGV[1] (nobody emptied Redis or took over meanwhile).
    static let completeRefill = RedisScript(
        """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], '1')
        return 1
        """)

    /// Denylist entry: KEYS[1] lives at least ARGV[1] ms from now (never shortened).
    static let revoke = RedisScript(
        """
        local ttl = tonumber(ARGV[1])
        if ttl <= 0 or redis.call('PTTL', KEYS[1]) >= ttl then return 0 end
        redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
        return 1
        """)

    /// Lease KEYS[1] for owner ARGV[1], ARGV[2] ms: free, expired, or already ours.
    static let acquire = RedisScript(
        """
        local owner = redis.call('GET', KEYS[1])
        if owner and owner ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """)

    /// Extends the lease only for its owner (compare-and-set).
    static let renew = RedisScript(
        """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """)

    /// Releases the lease only for its owner (compare-and-delete).
    static let release = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// Cache read: KEYS[1] entry (hash: v version, e epoch, d data), KEYS[2] the epoch.
    /// An entry written before the current epoch is not trusted (see `RedisCache`).
    static let cacheRead = RedisScript(
        """
        local epoch = redis.call('GET', KEYS[2]) or '0'
        local entry = redis.call('HMGET', KEYS[1], 'e', 'd')
        if entry[1] ~= epoch then return false end
        return entry[2]
        """)

    /// Cache write: ARGV version, TTL (s), 'put' or 'invalidate', data (put only).
    /// A put replaces only an older version, or an invalidation marker (or a value of an
    /// older epoch) of its own version or older; an invalidation replaces anything not
    /// newer than itself and leaves a marker without data.
    static let cacheWrite = RedisScript(
        """
        local epoch = redis.call('GET', KEYS[2]) or '0'
        local current = redis.call('HMGET', KEYS[1], 'v', 'e', 'd')
        local version = tonumber(ARGV[1])
        if current[1] then
          local stored = tonumber(current[1])
          local replace
          if ARGV[3] == 'invalidate' or not current[3] or current[2] ~= epoch then
            replace = version >= stored
          else
            replace = version > stored
          end
          if not replace then return 0 end
        end
        redis.call('DEL', KEYS[1])
        if ARGV[3] == 'put' then
          redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', epoch, 'd', ARGV[4])
        else
          redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', epoch)
        end
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return 1
        """)
}

/// Where each adapter keeps its keys, under one prefix (`cloudtask:` by default), so a
/// Redis can be shared and tests can isolate themselves.
struct RedisKeys: Sendable {
    let prefix: String

    func revokedToken(_ id: String) -> String { prefix + "revoked:jti:" + id }
    func revokedSession(_ id: String) -> String { prefix + "revoked:sid:" + id }
    /// '1' while the denylist holds every revocation it should; absent after Redis lost
    /// its data (restart without persistence, failover, flush), so nobody trusts a
    /// "not listed" until a refill from the session store has put the marker back.
    var denylistComplete: String { prefix + "denylist-complete" }
    func rate(_ policy: String, _ key: String) -> String { prefix + "rate:" + policy + ":" + key }
    func cache(_ key: String) -> String { prefix + "cache:" + key }
    var cacheEpoch: String { prefix + "cache-epoch" }
    func stop(_ job: String) -> String { prefix + "stop:" + job }
    func lease(_ name: String) -> String { prefix + "lease:" + name }
    var jobChanges: String { prefix + "job-changes" }
    var workers: String { prefix + "workers" }
    func worker(_ id: String) -> String { prefix + "worker:" + id }
}
