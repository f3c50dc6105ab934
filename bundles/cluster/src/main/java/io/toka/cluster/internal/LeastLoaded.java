package io.toka.cluster.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Where a session's new run goes ({@link PostgresRunLeases#leastLoaded()}): the live node with the fewest unexpired
 * run leases in {@code toka_run_leases}; this node when it is among them.
 */
final class LeastLoaded {

    private LeastLoaded() {
    }

    /**
     * @param self this node's lease id
     * @param live the lease ids of the live nodes
     * @param runs the unexpired run leases per node (read only when there is a choice)
     */
    static String choose(String self, Set<String> live, Supplier<Map<String, Long>> runs) {
        if (live.size() < 2 || !live.contains(self)) {
            return self;
        }
        return pick(self, live, runs.get());
    }

    /** The unexpired run leases of each node that holds any. */
    static Map<String, Long> runsPerNode(Connection c) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT owner, count(*) FROM toka_run_leases"
                + " WHERE left(key, 4) = 'run:' AND expires_at > clock_timestamp() GROUP BY owner");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.put(r.getString(1), r.getLong(2));
            }
        }
        return out;
    }

    /**
     * The node with the fewest runs: this one if it is among them, else one of them at random (so that nodes placing
     * at the same moment do not all pick the same one).
     */
    static String pick(String self, Set<String> nodes, Map<String, Long> runs) {
        long least = Long.MAX_VALUE;
        List<String> fewest = new ArrayList<>();
        for (String n : nodes) {
            long count = runs.getOrDefault(n, 0L);
            if (count < least) {
                least = count;
                fewest.clear();
            }
            if (count == least) {
                fewest.add(n);
            }
        }
        if (fewest.isEmpty() || fewest.contains(self)) {
            return self;
        }
        fewest.sort(null);
        return fewest.get(ThreadLocalRandom.current().nextInt(fewest.size()));
    }
}
