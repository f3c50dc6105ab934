package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Switching the event store while Toka runs: to memory, a refused switch to an unreachable PostgreSQL, and — when
 * TOKA_PG_URL is set (CI sets it) — a real switch to PostgreSQL inside Karaf.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StoreSwitchIT extends TestSupport {

    @Inject
    ConfigurationAdmin configAdmin;

    private String storeType() throws Exception {
        return get("/api/v1/events/store").body().get("type").asText();
    }

    private void configure(Hashtable<String, Object> props) throws Exception {
        configAdmin.getConfiguration("io.toka.store", null).update(props);
    }

    private long submitObservation() throws Exception {
        Response r = postJson("/api/v1/tokens", "{\"subject\":\"switcher\",\"permissions\":[\"agent:observe\"],\"ttlSeconds\":600}");
        String token = r.body().get("token").asText();
        Response s = postJson("/api/v1/kernel/submit", "{\"origin\":\"switcher\",\"capability\":\"" + token
                + "\",\"operation\":{\"EmitObservation\":{\"agent\":\"switcher\",\"data\":\"aGk=\"}}}");
        assertEquals(s.body().toString(), 201, s.status());
        return s.body().get("seq").asLong();
    }

    @Test
    public void storesSwitchAtRuntimeOrRefuseClearly() throws Exception {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "sqlite".equals(storeType()));
        Configuration c = configAdmin.getConfiguration("io.toka.store", null);
        Dictionary<String, Object> original = c.getProperties();
        try {
            Hashtable<String, Object> memory = new Hashtable<>();
            memory.put("type", "memory");
            configure(memory);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "memory".equals(storeType()));
            submitObservation();

            Hashtable<String, Object> unreachable = new Hashtable<>();
            unreachable.put("type", "postgresql");
            unreachable.put("postgresqlUrl", "jdbc:postgresql://127.0.0.1:1/nowhere");
            unreachable.put("postgresqlUser", "toka");
            unreachable.put("postgresqlPassword", "wrong");
            configure(unreachable);
            // the switch is refused: the memory store keeps serving, and still has its event
            await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> "memory".equals(storeType()));
            assertTrue(get("/api/v1/events/store").body().get("count").asLong() >= 1);

            String pgUrl = System.getenv("TOKA_PG_URL");
            if (pgUrl != null && !pgUrl.isBlank()) {
                Hashtable<String, Object> pg = new Hashtable<>();
                pg.put("type", "postgresql");
                pg.put("postgresqlUrl", pgUrl);
                pg.put("postgresqlUser", System.getenv().getOrDefault("TOKA_PG_USER", "toka"));
                pg.put("postgresqlPassword", System.getenv().getOrDefault("TOKA_PG_PASSWORD", "toka"));
                configure(pg);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "postgresql".equals(storeType()));
                long seq = submitObservation();
                List<Long> seqs = get("/api/v1/events?kind=observation.emitted&agent=switcher&after=" + (seq - 1))
                        .body().get("events").findValues("seq").stream().map(n -> n.asLong()).toList();
                assertTrue(seqs.toString(), seqs.contains(seq));
            } else {
                System.out.println("StoreSwitchIT: TOKA_PG_URL is not set; the switch to a real PostgreSQL was not tried");
            }
        } finally {
            c.update(original);
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "sqlite".equals(storeType()));
    }
}
