package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The API's servlets live in one whiteboard context that authenticates once, one servlet per area, each with only
 * the references it needs: a service coming or going elsewhere re-registers none of them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HttpContextIT extends TestSupport {

    /** The context and every servlet of the API (their names start with toka-). */
    private static final String API_SERVICES =
            "(|(osgi.http.whiteboard.context.name=toka-api)(osgi.http.whiteboard.servlet.name=toka-*))";
    private static final String TOOLS_SERVLET = "(osgi.http.whiteboard.servlet.name=toka-tools)";
    private static final String CALL = "/api/v1/tools/itest-steady/invoke";

    @Inject
    ConfigurationAdmin configAdmin;

    @Before
    public void serverIsUp() {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> get("/api/v1/health").status() == 200);
    }

    @Test
    public void theContextAndOneServletPerAreaAreRegistered() throws Exception {
        for (String name : List.of("toka-tools", "toka-tokens", "toka-events", "toka-executions", "toka-agents",
                "toka-system")) {
            ServiceReference<?>[] refs = bundleContext.getServiceReferences((String) null,
                    "(osgi.http.whiteboard.servlet.name=" + name + ")");
            assertNotNull(name, refs);
            assertEquals(name, 1, refs.length);
            assertEquals(name, "(osgi.http.whiteboard.context.name=toka-api)",
                    refs[0].getProperty("osgi.http.whiteboard.context.select"));
        }
        assertNotNull(bundleContext.getServiceReferences((String) null, "(osgi.http.whiteboard.context.name=toka-api)"));
        // each area answers through the shared context: its rate-limit headers, and its 401 without a token
        for (String path : List.of("/api/v1/tools", "/api/v1/keys", "/api/v1/events/store", "/api/v1/executions",
                "/api/v1/status", "/api/v1/sessions")) {
            Response r = get(path);
            assertEquals(path + " " + r.body(), 200, r.status());
            assertNotNull(path, r.header("X-RateLimit-Remaining"));
            assertEquals(path, 401, request("GET", path, null, null, null).status());
        }
    }

    @Test
    public void changingTheLlmConfigurationDisturbsNoToolCallAndReRegistersNoServlet() throws Exception {
        registerTool("itest-steady", TestTools.constant("itest-steady", "1.0.0", "steady"), 0);
        String token = adminToken();
        await().atMost(Duration.ofSeconds(30)).until(() -> postJson(CALL, "{}", token).status() == 200);
        long toolsServletId = toolsServletId();

        List<String> apiChanges = new CopyOnWriteArrayList<>();
        ServiceListener api = e -> {
            if (e.getType() != ServiceEvent.REGISTERED) {
                apiChanges.add(e.getType() + " " + e.getServiceReference().getProperty("osgi.http.whiteboard.servlet.name")
                        + " " + e.getServiceReference().getProperty("osgi.http.whiteboard.context.name"));
            }
        };
        AtomicInteger llmGone = new AtomicInteger();
        AtomicInteger llmBack = new AtomicInteger();
        ServiceListener llm = e -> {
            if (e.getType() == ServiceEvent.UNREGISTERING) {
                llmGone.incrementAndGet();
            } else if (e.getType() == ServiceEvent.REGISTERED) {
                llmBack.incrementAndGet();
            }
        };
        bundleContext.addServiceListener(api, API_SERVICES);
        bundleContext.addServiceListener(llm, "(objectClass=io.toka.llm.LlmGateway)");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        Thread caller = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Response r = postJson(CALL, "{}", token);
                    if (r.status() != 200 || !"steady".equals(r.body().get("output").asText())) {
                        failures.add(r.status() + " " + r.body());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
                calls.incrementAndGet();
            }
        }, "itest-tool-calls");
        Configuration c = configAdmin.getConfiguration("io.toka.llm", null);
        Dictionary<String, Object> original = c.getProperties();
        caller.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= 20);

            c.update(changed(original));
            await().atMost(Duration.ofSeconds(30)).until(() -> llmGone.get() >= 1 && llmBack.get() >= 1);
            int afterChange = calls.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= afterChange + 20);

            restore(c, original);
            await().atMost(Duration.ofSeconds(30)).until(() -> llmGone.get() >= 2 && llmBack.get() >= 2);
            int afterRestore = calls.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= afterRestore + 20);
        } finally {
            stop.set(true);
            caller.join(30_000);
            bundleContext.removeServiceListener(api);
            bundleContext.removeServiceListener(llm);
            if (llmGone.get() < 2) {
                restore(c, original);
            }
        }

        assertEquals("failed tool calls out of " + calls.get(), List.of(), failures);
        assertEquals("the API's context and servlets stay registered", List.of(), apiChanges);
        assertEquals(toolsServletId, toolsServletId());
        assertTrue(calls.get() >= 60);
        // the agents area sees the new gateway without being re-registered
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Response s = get("/api/v1/status");
            return s.status() == 200 && s.body().has("llm");
        });
    }

    private long toolsServletId() throws Exception {
        ServiceReference<?>[] refs = bundleContext.getServiceReferences((String) null, TOOLS_SERVLET);
        assertNotNull("the tools servlet is registered", refs);
        assertEquals(1, refs.length);
        return (Long) refs[0].getProperty("service.id");
    }

    /** The configuration with one more property: the gateway's component is re-activated and re-registers. */
    private static Hashtable<String, Object> changed(Dictionary<String, Object> original) {
        Hashtable<String, Object> copy = new Hashtable<>();
        if (original != null) {
            for (Enumeration<String> keys = original.keys(); keys.hasMoreElements(); ) {
                String k = keys.nextElement();
                copy.put(k, original.get(k));
            }
        }
        copy.put("itest.change", Long.toString(System.nanoTime()));
        return copy;
    }

    private static void restore(Configuration c, Dictionary<String, Object> original) throws Exception {
        if (original == null) {
            c.delete();
        } else {
            c.update(original);
        }
    }
}
