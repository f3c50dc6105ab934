package io.toka.cluster.internal;

import com.hazelcast.core.HazelcastInstance;
import java.time.Instant;

/**
 * This node's running cluster membership, for the other components of this bundle. Registered (privately, not
 * exported) by {@link ClusterNode} once Hazelcast has started.
 */
public interface Fabric {

    /** @return the embedded Hazelcast member */
    HazelcastInstance hazelcast();

    /** @return the checked configuration */
    ClusterSettings settings();

    /** @return what the shared secret yields */
    ClusterSecrets secrets();

    /** @return when this member started */
    Instant startedAt();
}
