package io.toka.orchestration.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import java.io.File;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCatalogImplTest {

    @TempDir
    Path tmp;
    private Path deploy;
    private Path etc;
    private AgentCatalogImpl catalog;

    static AgentCatalogImpl.Config config(String agentsDir, long poll) {
        return new AgentCatalogImpl.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return AgentCatalogImpl.Config.class;
            }

            @Override
            public String agentsDir() {
                return agentsDir;
            }

            @Override
            public long pollMillis() {
                return poll;
            }
        };
    }

    @BeforeEach
    void setUp() throws Exception {
        deploy = Files.createDirectories(tmp.resolve("deploy"));
        etc = tmp.resolve("etc");
        catalog = new AgentCatalogImpl(config("", 100), key -> null);
    }

    @AfterEach
    void tearDown() {
        catalog.deactivate();
    }

    private File write(Path dir, String file, String yaml) throws Exception {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(file), yaml).toFile();
    }

    private String path(File f) {
        return f.toPath().toAbsolutePath().normalize().toString();
    }

    // ------------------------------------------------------------ FileInstall

    @Test
    void claimsAgentFilesInDeployAndYamlInTheAgentsDirectory() throws Exception {
        AgentCatalogImpl c = new AgentCatalogImpl(config("${karaf.etc}/toka/agents", 100),
                key -> key.equals("karaf.etc") ? etc.toString() : null);
        try {
            Path agents = etc.resolve("toka/agents");
            assertThat(c.agentsDir()).isEqualTo(agents.toAbsolutePath().normalize());
            assertThat(Files.isDirectory(agents)).isTrue();
            assertThat(c.canHandle(deploy.resolve("x.agent.yaml").toFile())).isTrue();
            assertThat(c.canHandle(deploy.resolve("x.agent.yml").toFile())).isTrue();
            assertThat(c.canHandle(deploy.resolve("x.yaml").toFile())).isFalse();
            assertThat(c.canHandle(deploy.resolve("x.tool.yaml").toFile())).isFalse();
            assertThat(c.canHandle(deploy.resolve("x.jar").toFile())).isFalse();
            assertThat(c.canHandle(agents.resolve("x.yaml").toFile())).isTrue();
            assertThat(c.canHandle(agents.resolve("x.yml").toFile())).isTrue();
            assertThat(c.canHandle(agents.resolve("x.txt").toFile())).isFalse();
            assertThat(c.canHandle(agents.resolve("sub/x.yaml").toFile())).isFalse();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void installUpdateUninstallKeepTheCatalogLive() throws Exception {
        File f = write(deploy, "bss.agent.yaml", Specs.resource("build-system-stabilization.yaml"));

        catalog.install(f);

        assertThat(catalog.all()).extracting(AgentConfig::name).containsExactly("build-system-stabilization");
        assertThat(catalog.get("build-system-stabilization").orElseThrow().source()).isEqualTo(path(f));
        assertThat(catalog.errors()).isEmpty();

        write(deploy, "bss.agent.yaml", Specs.resource("build-system-stabilization.yaml")
                .replace("timeout: \"2h\"", "timeout: \"3h\""));
        catalog.update(f);

        assertThat(catalog.get("build-system-stabilization").orElseThrow().security().timeout()).isEqualTo("3h");

        catalog.uninstall(f);

        assertThat(catalog.all()).isEmpty();
        assertThat(catalog.get("build-system-stabilization")).isEmpty();
    }

    @Test
    void anInvalidFileIsListedAndAnUpdateThatBreaksAFileWithdrawsIt() throws Exception {
        File f = write(deploy, "alpha.agent.yaml", Specs.VALID);
        catalog.install(f);
        assertThat(catalog.get("alpha")).isPresent();

        write(deploy, "alpha.agent.yaml", Specs.VALID.replace("  version: \"v1\"", "  version: \"\"")
                .replace("\"2h\"", "\"forever\""));
        catalog.update(f);

        assertThat(catalog.get("alpha")).isEmpty();
        assertThat(catalog.errors()).containsExactly(entry(path(f), List.of("metadata.version must not be empty",
                "security.resource_limits.timeout 'forever' must be a duration like 2h (ms, s, m or h)")));

        write(deploy, "alpha.agent.yaml", Specs.VALID);
        catalog.update(f);

        assertThat(catalog.get("alpha")).isPresent();
        assertThat(catalog.errors()).isEmpty();
    }

    @Test
    void aSyntaxErrorIsListed() throws Exception {
        File f = write(deploy, "broken.agent.yaml", "metadata:\n  name: alpha\n version: v1\n");

        catalog.install(f);

        assertThat(catalog.errors().get(path(f))).singleElement().asString()
                .startsWith("YAML syntax error at line 3, column 2: ");
        catalog.uninstall(f);
        assertThat(catalog.errors()).isEmpty();
    }

    @Test
    void aFileThatIsNotUtf8IsListed() throws Exception {
        Path p = deploy.resolve("latin.agent.yaml");
        Files.write(p, new byte[] {'a', ':', ' ', (byte) 0xE9, '\n'});

        catalog.install(p.toFile());

        assertThat(catalog.errors().get(path(p.toFile()))).containsExactly("cannot read the file: not UTF-8");
    }

    @Test
    void aDuplicateNameRefusesTheLaterFileUntilTheFirstGoes() throws Exception {
        File first = write(deploy, "a.agent.yaml", Specs.VALID);
        File second = write(deploy, "b.agent.yaml", Specs.VALID.replace("timeout: \"2h\"", "timeout: \"5m\""));

        catalog.install(first);
        catalog.install(second);

        assertThat(catalog.get("alpha").orElseThrow().source()).isEqualTo(path(first));
        assertThat(catalog.errors()).containsExactly(entry(path(second),
                List.of("Duplicate agent name: alpha (in " + path(first) + " and " + path(second) + ")")));

        catalog.uninstall(first);

        assertThat(catalog.get("alpha").orElseThrow().source()).isEqualTo(path(second));
        assertThat(catalog.get("alpha").orElseThrow().security().timeout()).isEqualTo("5m");
        assertThat(catalog.errors()).isEmpty();
    }

    @Test
    void renamingAFileFreesItsOldNameForAWaitingFile() throws Exception {
        File first = write(deploy, "a.agent.yaml", Specs.VALID);
        File second = write(deploy, "b.agent.yaml", Specs.VALID.replace("timeout: \"2h\"", "timeout: \"5m\""));
        catalog.install(first);
        catalog.install(second);

        write(deploy, "a.agent.yaml", Specs.agent("renamed", "medium"));
        catalog.update(first);

        assertThat(catalog.all()).extracting(AgentConfig::name).containsExactly("alpha", "renamed");
        assertThat(catalog.get("alpha").orElseThrow().source()).isEqualTo(path(second));
        assertThat(catalog.errors()).isEmpty();
    }

    @Test
    void anUnknownRequiredDependencyIsKeptAndListedUntilItArrives() throws Exception {
        File ti = write(deploy, "ti.agent.yaml", Specs.resource("testing-infrastructure.yaml"));
        catalog.install(ti);

        assertThat(catalog.get("testing-infrastructure")).isPresent();
        assertThat(catalog.errors()).containsExactly(entry(path(ti),
                List.of("Agent 'testing-infrastructure' depends on non-existent agent 'build-system-stabilization'")));
        assertThatThrownBy(() -> DependencyResolver.order(catalog.all(), List.of("testing-infrastructure")))
                .hasMessage("Agent 'testing-infrastructure' depends on non-existent agent 'build-system-stabilization'");

        File bss = write(deploy, "bss.agent.yaml", Specs.resource("build-system-stabilization.yaml"));
        catalog.install(bss);

        assertThat(catalog.errors()).isEmpty();
        assertThat(DependencyResolver.order(catalog.all(), List.of("testing-infrastructure")))
                .containsExactly("testing-infrastructure");

        catalog.uninstall(bss);

        assertThat(catalog.errors()).containsOnlyKeys(path(ti));
    }

    @Test
    void loadsTheAgentsDirectoryAtActivation() throws Exception {
        Path agents = tmp.resolve("agents");
        write(agents, "bss.yaml", Specs.resource("build-system-stabilization.yaml"));
        write(agents, "ti.yml", Specs.resource("testing-infrastructure.yaml"));
        write(agents, "dda.yaml", Specs.resource("deterministic-dating-agent.yaml"));
        write(agents, "notes.txt", "not an agent");
        write(agents, "bad.yaml", "metadata: [");

        AgentCatalogImpl c = new AgentCatalogImpl(config(agents.toString(), 100), key -> null);
        try {
            assertThat(c.all()).extracting(AgentConfig::name).containsExactly("build-system-stabilization",
                    "deterministic-dating-agent", "testing-infrastructure");
            assertThat(c.errors()).containsOnlyKeys(agents.resolve("bad.yaml").toAbsolutePath().normalize()
                    .toString());
        } finally {
            c.deactivate();
        }
    }

    @Test
    void changingTheAgentsDirectoryDropsTheOldFilesAndLoadsTheNewOnes() throws Exception {
        Path one = tmp.resolve("one");
        Path two = tmp.resolve("two");
        write(one, "alpha.yaml", Specs.VALID);
        write(two, "beta.yaml", Specs.agent("beta", "high"));
        File deployed = write(deploy, "gamma.agent.yaml", Specs.agent("gamma", "low"));
        AgentCatalogImpl c = new AgentCatalogImpl(config(one.toString(), 100), key -> null);
        try {
            c.install(deployed);
            assertThat(c.all()).extracting(AgentConfig::name).containsExactly("alpha", "gamma");

            c.modified(config(two.toString(), 50));

            assertThat(c.all()).extracting(AgentConfig::name).containsExactly("beta", "gamma");
            assertThat(c.pollMillis()).isEqualTo(50);

            c.modified(config("", 50));

            assertThat(c.agentsDir()).isNull();
            assertThat(c.all()).extracting(AgentConfig::name).containsExactly("gamma");
        } finally {
            c.deactivate();
        }
    }

    @Test
    void withoutKarafEtcThereIsNoAgentsDirectory() {
        AgentCatalogImpl c = new AgentCatalogImpl(config("${karaf.etc}/toka/agents", 100), key -> null);

        assertThat(c.agentsDir()).isNull();
        assertThat(c.canHandle(new File("x.yaml"))).isFalse();
        c.deactivate();
        c.deactivate();
    }

    // ------------------------------------------------------------ API

    @Test
    void defineAddsReplacesAndRemoveDeletes() throws Exception {
        AgentConfig c = catalog.define(Specs.VALID, "api");

        assertThat(c.source()).isEqualTo("api");
        assertThat(catalog.get("alpha")).contains(c);

        catalog.define(Specs.VALID.replace("\"2h\"", "\"1h\""), "api");

        assertThat(catalog.all()).singleElement().extracting(a -> a.security().timeout()).isEqualTo("1h");
        assertThat(catalog.remove("alpha")).isTrue();
        assertThat(catalog.remove("alpha")).isFalse();
        assertThat(catalog.all()).isEmpty();
    }

    @Test
    void defineReportsEveryProblem() {
        assertThatThrownBy(() -> catalog.define(Specs.VALID.replace("  domain: \"testing\"", "  domain: \"\"")
                .replace("  primary: [\"one\"]", "  primary: []"), "api"))
                .isInstanceOf(AgentConfigException.class)
                .hasMessage("api: spec.domain must not be empty; capabilities.primary needs at least one capability");
        assertThat(catalog.all()).isEmpty();
    }

    @Test
    void defineRefusesANameAFileHoldsAndRemoveLeavesFilesAlone() throws Exception {
        File f = write(deploy, "alpha.agent.yaml", Specs.VALID);
        catalog.install(f);

        assertThatThrownBy(() -> catalog.define(Specs.VALID, "api"))
                .isInstanceOf(AgentConfigException.class)
                .extracting(e -> ((AgentConfigException) e).problems()).asList()
                .containsExactly("Duplicate agent name: alpha (in " + path(f) + " and api)");
        assertThat(catalog.remove("alpha")).isFalse();
        assertThat(catalog.get("alpha").orElseThrow().source()).isEqualTo(path(f));
    }

    @Test
    void aFileCannotTakeANameTheApiHoldsUntilTheApiRemovesIt() throws Exception {
        catalog.define(Specs.VALID, "api");
        File f = write(deploy, "alpha.agent.yaml", Specs.VALID);

        catalog.install(f);

        assertThat(catalog.get("alpha").orElseThrow().source()).isEqualTo("api");
        assertThat(catalog.errors()).containsExactly(entry(path(f),
                List.of("Duplicate agent name: alpha (in api and " + path(f) + ")")));

        catalog.remove("alpha");

        assertThat(catalog.get("alpha").orElseThrow().source()).isEqualTo(path(f));
        assertThat(catalog.errors()).isEmpty();
    }

    @Test
    void defineRefusesAnUnknownRequiredDependency() throws Exception {
        assertThatThrownBy(() -> catalog.define(Specs.agent("b", "medium", "a"), "api"))
                .isInstanceOf(AgentConfigException.class)
                .hasMessage("api: Agent 'b' depends on non-existent agent 'a'");

        catalog.define(Specs.agent("a", "medium"), "api");
        catalog.define(Specs.agent("b", "medium", "a"), "api");

        assertThat(catalog.all()).extracting(AgentConfig::name).containsExactly("a", "b");

        catalog.remove("a");

        assertThat(catalog.get("b")).isPresent();
        assertThat(catalog.errors()).containsExactly(entry("api", List.of("Agent 'b' depends on non-existent agent 'a'")));
    }

    @Test
    void aStoppedCatalogRefusesDefinitionsAndIgnoresFiles() throws Exception {
        catalog.deactivate();

        assertThatThrownBy(() -> catalog.define(Specs.VALID, "api")).isInstanceOf(IllegalStateException.class);
        catalog.install(write(deploy, "alpha.agent.yaml", Specs.VALID));
        assertThat(catalog.all()).isEmpty();
    }

    @Test
    void snapshotsAreImmutable() throws Exception {
        catalog.define(Specs.VALID, "api");

        List<AgentConfig> all = catalog.all();
        Map<String, List<String>> errors = catalog.errors();

        assertThatThrownBy(() -> all.clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> errors.clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void concurrentDefinitionsAndFilesAllLand() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                done.add(pool.submit(() -> {
                    if (n % 2 == 0) {
                        catalog.define(Specs.agent("api-" + n, "medium"), "api");
                    } else {
                        catalog.install(write(deploy, "f-" + n + ".agent.yaml", Specs.agent("file-" + n, "low")));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(catalog.all()).hasSize(40);
        assertThat(catalog.errors()).isEmpty();
    }
}
