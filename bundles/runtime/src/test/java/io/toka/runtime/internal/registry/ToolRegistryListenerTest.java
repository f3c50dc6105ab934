package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.runtime.registry.ToolRegistryListener;
import io.toka.tool.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/** The {@link ToolRegistryListener} whiteboard: which changes are told, to whom, on which thread, in what order. */
class ToolRegistryListenerTest extends RegistryTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Records every change it hears and the thread it heard it on. */
    private static class Recorder implements ToolRegistryListener {
        final List<Set<String>> heard = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        public void toolsChanged(Set<String> names) {
            threads.add(Thread.currentThread().getName());
            heard.add(names);
        }
    }

    private ServiceRegistration<ToolRegistryListener> listen(ToolRegistryListener l) {
        return osgi.context().registerService(ToolRegistryListener.class, l, null);
    }

    /** Registers a tool named "sentinel-n" and waits until the recorder heard it: every earlier change has been told. */
    private int sentinels;

    private void flush(Recorder r) {
        String name = "sentinel-" + (++sentinels);
        registerTool(TestTool.answering(name, "1"));
        await().atMost(WAIT).until(() -> r.heard.contains(Set.of(name)));
    }

    private static List<Set<String>> withoutSentinels(Recorder r) {
        return r.heard.stream().filter(s -> s.stream().noneMatch(n -> n.startsWith("sentinel-"))).toList();
    }

    @Test
    void addingAndRemovingAToolTellsItsName() throws Exception {
        startRegistry();
        Recorder r = new Recorder();
        listen(r);

        ServiceRegistration<Tool> reg = registerTool(TestTool.answering("alpha", "1"));
        await().atMost(WAIT).until(() -> r.heard.size() == 1);
        reg.unregister();
        await().atMost(WAIT).until(() -> r.heard.size() == 2);

        assertThat(r.heard).containsExactly(Set.of("alpha"), Set.of("alpha"));
        assertThat(r.threads).as("told on the registry's dispatcher, never on the registering thread")
                .containsOnly("toka-tool-listeners");
    }

    @Test
    void aServiceThatWinsTellsTheNameAndOneThatLosesDoesNot() throws Exception {
        registerTool(TestTool.answering("shared", "1.0.0"), Constants.SERVICE_RANKING, 10);
        startRegistry();
        Recorder r = new Recorder();
        listen(r);

        ServiceRegistration<Tool> loser = registerTool(TestTool.answering("shared", "0.9.0"), Constants.SERVICE_RANKING, 1);
        loser.unregister();
        flush(r);
        assertThat(withoutSentinels(r)).as("a shadowed service coming and going changes no winner").isEmpty();

        ServiceRegistration<Tool> winner = registerTool(TestTool.answering("shared", "2.0.0"),
                Constants.SERVICE_RANKING, 20);
        flush(r);
        assertThat(withoutSentinels(r)).containsExactly(Set.of("shared"));
        assertThat(registry.find("shared").orElseThrow().descriptor().version()).isEqualTo("2.0.0");

        // a ranking change that puts another service first is a change too
        winner.setProperties(OsgiFramework.properties("shared", Constants.SERVICE_RANKING, 0));
        flush(r);
        assertThat(withoutSentinels(r)).containsExactly(Set.of("shared"), Set.of("shared"));
        assertThat(registry.find("shared").orElseThrow().descriptor().version()).isEqualTo("1.0.0");
    }

    @Test
    void aSwapThroughTheGapIsToldBothWaysAndTheLastChangeComesAfterTheNewService() throws Exception {
        ServiceRegistration<Tool> v1 = registerTool(TestTool.answering("swapped", "1.0.0"));
        startRegistry(config(64, 256, 2000));
        Recorder r = new Recorder();
        listen(r);

        v1.unregister(); // a departure: calls wait for the new service
        registerTool(TestTool.answering("swapped", "2.0.0"));

        await().atMost(WAIT).until(() -> r.heard.size() == 2);
        assertThat(r.heard).containsExactly(Set.of("swapped"), Set.of("swapped"));
        assertThat(registry.find("swapped").orElseThrow().descriptor().version()).isEqualTo("2.0.0");
        flush(r);
        assertThat(withoutSentinels(r)).hasSize(2);
    }

    @Test
    void aNewVersionNextToTheOldThenRetiringTheOldIsToldOnce() throws Exception {
        Bundle old = osgi.installBundle("com.acme.tools", "1.0.0");
        OsgiFramework.register(old.getBundleContext(), "deployed", TestTool.answering("deployed", "1.0.0"));
        startRegistry(config(64, 256, 2000));
        Recorder r = new Recorder();
        listen(r);

        // what the deployer does: the new version comes next to the old one (newer service wins), then the old
        // one is retired and uninstalled
        Bundle next = osgi.installBundle("com.acme.tools", "2.0.0");
        OsgiFramework.register(next.getBundleContext(), "deployed", TestTool.answering("deployed", "2.0.0"));
        assertThat(registry.retireAndDrain(old.getBundleId(), WAIT)).isTrue();
        old.uninstall();
        flush(r);

        assertThat(withoutSentinels(r)).containsExactly(Set.of("deployed"));
        assertThat(registry.find("deployed").orElseThrow().descriptor().version()).isEqualTo("2.0.0");
    }

    @Test
    void retiringAWinnerAndReinstatingItAreChanges() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        OsgiFramework.register(bundle.getBundleContext(), "one", TestTool.answering("one", "1"));
        OsgiFramework.register(bundle.getBundleContext(), "two", TestTool.answering("two", "1"));
        startRegistry();
        Recorder r = new Recorder();
        listen(r);

        assertThat(registry.retireAndDrain(bundle.getBundleId(), WAIT)).isTrue();
        await().atMost(WAIT).until(() -> r.heard.size() == 1);
        assertThat(r.heard.get(0)).containsExactly("one", "two");
        assertThat(registry.names()).isEmpty();

        registry.reinstate(bundle.getBundleId());
        await().atMost(WAIT).until(() -> r.heard.size() == 2);
        assertThat(r.heard.get(1)).containsExactly("one", "two");
        assertThat(registry.names()).containsExactly("one", "two");
    }

    @Test
    void aListenerAddedLaterIsNotToldAboutThePast() throws Exception {
        Recorder early = new Recorder();
        listen(early);
        registerTool(TestTool.answering("before-start", "1"));
        startRegistry();
        registerTool(TestTool.answering("before-late", "1"));
        flush(early);
        assertThat(early.heard).contains(Set.of("before-start"), Set.of("before-late"));

        Recorder late = new Recorder();
        listen(late);
        registerTool(TestTool.answering("after", "1"));
        flush(late);

        assertThat(withoutSentinels(late)).containsExactly(Set.of("after"));
    }

    @Test
    void aFailingListenerDoesNotStopTheOthersNorLaterChanges() throws Exception {
        startRegistry();
        listen(names -> {
            throw new IllegalStateException("listener bug");
        });
        Recorder r = new Recorder();
        listen(r);

        registerTool(TestTool.answering("a", "1"));
        registerTool(TestTool.answering("b", "1"));

        await().atMost(WAIT).until(() -> r.heard.size() == 2);
        assertThat(r.heard).containsExactly(Set.of("a"), Set.of("b"));
    }

    @Test
    void aSlowListenerDelaysNoRegistrationAndStillHearsEveryChangeInOrder() throws Exception {
        startRegistry();
        CountDownLatch release = new CountDownLatch(1);
        Recorder r = new Recorder() {
            @Override
            public void toolsChanged(Set<String> names) {
                super.toolsChanged(names);
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        listen(r);

        for (int i = 0; i < 5; i++) {
            registerTool(TestTool.answering("t" + i, "1"));
        }
        assertThat(registry.names()).as("the registry moved on while the listener is stuck")
                .containsExactly("t0", "t1", "t2", "t3", "t4");
        assertThat(call("t4", Map.of()).isSuccess()).isTrue();

        release.countDown();
        await().atMost(WAIT).until(() -> r.heard.size() == 5);
        assertThat(r.heard).containsExactly(Set.of("t0"), Set.of("t1"), Set.of("t2"), Set.of("t3"), Set.of("t4"));
    }

    @Test
    void anUnregisteredListenerIsNoLongerTold() throws Exception {
        startRegistry();
        Recorder gone = new Recorder();
        ServiceRegistration<ToolRegistryListener> reg = listen(gone);
        Recorder stays = new Recorder();
        listen(stays);

        registerTool(TestTool.answering("first", "1"));
        await().atMost(WAIT).until(() -> gone.heard.size() == 1);
        reg.unregister();
        registerTool(TestTool.answering("second", "1"));
        flush(stays);

        assertThat(gone.heard).containsExactly(Set.of("first"));
    }
}
