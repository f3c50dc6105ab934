package io.toka.cluster.internal;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.lang.annotation.Annotation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Real embedded Hazelcast members on loopback, configured as Toka configures them, for the tests. */
final class TestMembers implements AutoCloseable {

    static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";

    private final List<HazelcastInstance> started = new ArrayList<>();

    /** A configuration as etc/io.toka.cluster.cfg would give it. */
    static ClusterNode.Config config(String name, String secret, String members, int port) {
        return new ClusterNode.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ClusterNode.Config.class;
            }

            @Override
            public String clusterName() {
                return name;
            }

            @Override
            public String secret() {
                return secret;
            }

            @Override
            public String secretFile() {
                return "";
            }

            @Override
            public String members() {
                return members;
            }

            @Override
            public String bindAddress() {
                return "127.0.0.1";
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public String memberName() {
                return "node-" + port;
            }

            @Override
            public String httpUrl() {
                return "";
            }
        };
    }

    /** Starts a member and returns its fabric. */
    Fabric start(String clusterName, String secret, String members, int port) {
        ClusterSettings s = ClusterSettings.from(config(clusterName, secret, members, port), null, 8181);
        ClusterSecrets secrets = new ClusterSecrets(s.clusterName(), s.secret());
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.of(s, secrets, getClass().getClassLoader()));
        started.add(hz);
        Instant at = Instant.now();
        return new Fabric() {
            @Override
            public HazelcastInstance hazelcast() {
                return hz;
            }

            @Override
            public ClusterSettings settings() {
                return s;
            }

            @Override
            public ClusterSecrets secrets() {
                return secrets;
            }

            @Override
            public Instant startedAt() {
                return at;
            }
        };
    }

    @Override
    public void close() {
        started.forEach(HazelcastInstance::shutdown);
    }
}
