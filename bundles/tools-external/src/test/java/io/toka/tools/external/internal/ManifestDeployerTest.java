package io.toka.tools.external.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.tool.Tool;
import io.toka.tools.external.LoadedManifest;
import io.toka.tools.external.ManifestError;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

class ManifestDeployerTest {

    @TempDir
    Path dir;
    @TempDir
    Path felix;
    OsgiFramework osgi;
    BundleContext context;
    ManifestDeployer deployer;
    final List<String> events = new CopyOnWriteArrayList<>();
    final ServiceListener listener = e -> events.add((e.getType() == ServiceEvent.REGISTERED ? "+" : e.getType()
            == ServiceEvent.UNREGISTERING ? "-" : "~") + e.getServiceReference().getProperty(Tool.NAME) + "#"
            + e.getServiceReference().getProperty("service.id"));

    static final SandboxLauncher NO_LAUNCH = new SandboxLauncher() {
        @Override
        public SandboxResult run(SandboxRequest request) {
            return new SandboxResult(0, "ran".getBytes(), false, new byte[0], false, false, null, Duration.ZERO, -1, -1,
                    Isolation.Level.FULL);
        }

        @Override
        public Isolation isolation() {
            return new Isolation(Isolation.Level.FULL, true, true, true, "v2", List.of());
        }
    };

    static ManifestDeployer.Config config(String toolsDir, long poll) {
        return new ManifestDeployer.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ManifestDeployer.Config.class;
            }

            @Override
            public String toolsDir() {
                return toolsDir;
            }

            @Override
            public long pollMillis() {
                return poll;
            }
        };
    }

    @BeforeEach
    void start() throws Exception {
        osgi = OsgiFramework.start(felix);
        context = osgi.installBundle("io.toka.tools-external.test", "1.0.0").getBundleContext();
        context.addServiceListener(listener, "(objectClass=" + Tool.class.getName() + ")");
        deployer = new ManifestDeployer(context, NO_LAUNCH, config("", 100));
        Files.writeString(dir.resolve("run.sh"), "#!/bin/bash\necho hi\n");
    }

    @AfterEach
    void stop() throws Exception {
        deployer.deactivate();
        osgi.close();
    }

    Path manifest(String file, String name, String version) throws Exception {
        Path f = dir.resolve(file);
        Files.writeString(f, "name: " + name + "\nversion: " + version + "\ndescription: d\nexecutable: run.sh\n");
        return f;
    }

    Collection<ServiceReference<Tool>> tools(String name) throws Exception {
        return context.getServiceReferences(Tool.class, "(" + Tool.NAME + "=" + name + ")");
    }

    @Test
    void handlesOnlyToolManifests() {
        assertThat(deployer.canHandle(dir.resolve("a.tool.yaml").toFile())).isTrue();
        assertThat(deployer.canHandle(dir.resolve("a.yaml").toFile())).isFalse();
        assertThat(deployer.canHandle(dir.resolve("a.jar").toFile())).isFalse();
    }

    @Test
    void installRegistersATool() throws Exception {
        Path f = manifest("hello.tool.yaml", "hello", "1.0.0");
        deployer.install(f.toFile());

        Collection<ServiceReference<Tool>> refs = tools("hello");
        assertThat(refs).hasSize(1);
        ServiceReference<Tool> ref = refs.iterator().next();
        assertThat(ref.getProperty(ManifestDeployer.MANIFEST_PROPERTY)).isEqualTo(f.toString());
        assertThat(ref.getBundle()).isEqualTo(context.getBundle());
        Tool tool = context.getService(ref);
        assertThat(tool.descriptor().name()).isEqualTo("hello");
        assertThat(tool.descriptor().version()).isEqualTo("1.0.0");
        assertThat(deployer.loaded()).extracting(LoadedManifest::tool, LoadedManifest::file, LoadedManifest::executable)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("hello", f.toString(),
                        dir.resolve("run.sh").toRealPath().toString()));
        assertThat(deployer.errors()).isEmpty();
    }

    @Test
    void updateRegistersTheNewToolBeforeTheOldOneLeaves() throws Exception {
        Path f = manifest("hello.tool.yaml", "hello", "1.0.0");
        deployer.install(f.toFile());
        long oldId = (Long) tools("hello").iterator().next().getProperty("service.id");
        events.clear();

        manifest("hello.tool.yaml", "hello", "2.0.0");
        deployer.update(f.toFile());

        ServiceReference<Tool> now = tools("hello").iterator().next();
        long newId = (Long) now.getProperty("service.id");
        assertThat(events).containsExactly("+hello#" + newId, "-hello#" + oldId);
        assertThat(context.getService(now).descriptor().version()).isEqualTo("2.0.0");
        assertThat(deployer.loaded()).extracting(LoadedManifest::version).containsExactly("2.0.0");
    }

    @Test
    void anInvalidUpdateWithdrawsTheToolAndListsTheError() throws Exception {
        Path f = manifest("hello.tool.yaml", "hello", "1.0.0");
        deployer.install(f.toFile());
        Files.writeString(f, "name: hello\ndescription: d\nexecutable: run.sh\nsecurity: {sandbox: {memory_limit: 12XB}}\n");

        deployer.update(f.toFile());

        assertThat(tools("hello")).isEmpty();
        assertThat(deployer.loaded()).isEmpty();
        assertThat(deployer.errors()).extracting(ManifestError::file, ManifestError::field, ManifestError::problem)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(f.toString(), "security.sandbox.memory_limit",
                        "\"12XB\" is not a size (use e.g. 512MB)"));

        manifest("hello.tool.yaml", "hello", "1.0.1");
        deployer.update(f.toFile());
        assertThat(tools("hello")).hasSize(1);
        assertThat(deployer.errors()).isEmpty();
    }

    @Test
    void aSecondFileWithTheSameNameIsAnError() throws Exception {
        Path a = manifest("a.tool.yaml", "hello", "1.0.0");
        Path b = manifest("b.tool.yaml", "hello", "9.0.0");
        deployer.install(a.toFile());
        deployer.install(b.toFile());

        assertThat(tools("hello")).hasSize(1);
        assertThat(deployer.loaded()).extracting(LoadedManifest::file).containsExactly(a.toString());
        assertThat(deployer.errors()).extracting(ManifestError::file, ManifestError::field, ManifestError::problem)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(b.toString(), "name",
                        "tool 'hello' is already defined by " + a));

        // once the first file is gone, the second one gets the name
        deployer.uninstall(a.toFile());
        assertThat(deployer.loaded()).extracting(LoadedManifest::file, LoadedManifest::version)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(b.toString(), "9.0.0"));
        assertThat(deployer.errors()).isEmpty();
        assertThat(tools("hello")).hasSize(1);
    }

    @Test
    void uninstallRemovesTheToolAndItsErrors() throws Exception {
        Path good = manifest("good.tool.yaml", "good", "1.0.0");
        Path bad = dir.resolve("bad.tool.yaml");
        Files.writeString(bad, "name: Bad\n");
        deployer.install(good.toFile());
        deployer.install(bad.toFile());
        assertThat(deployer.errors()).hasSize(3);

        deployer.uninstall(good.toFile());
        deployer.uninstall(bad.toFile());

        assertThat(tools("good")).isEmpty();
        assertThat(deployer.loaded()).isEmpty();
        assertThat(deployer.errors()).isEmpty();
    }

    @Test
    void aBadFileDoesNotDisturbAnother() throws Exception {
        Path good = manifest("good.tool.yaml", "good", "1.0.0");
        deployer.install(good.toFile());
        long id = (Long) tools("good").iterator().next().getProperty("service.id");
        events.clear();
        Path bad = dir.resolve("bad.tool.yaml");
        Files.writeString(bad, "name: [\n");

        deployer.install(bad.toFile());
        deployer.update(bad.toFile());

        assertThat(events).isEmpty();
        assertThat(tools("good")).singleElement().satisfies(r -> assertThat(r.getProperty("service.id")).isEqualTo(id));
        assertThat(deployer.errors()).extracting(ManifestError::field).containsExactly("(file)");
    }

    @Test
    void deactivateWithdrawsEverything() throws Exception {
        deployer.install(manifest("a.tool.yaml", "a", "1").toFile());
        deployer.install(manifest("b.tool.yaml", "b", "1").toFile());
        deployer.deactivate();
        deployer.deactivate();
        assertThat(context.getServiceReferences(Tool.class, null)).isEmpty();
        deployer.install(manifest("c.tool.yaml", "c", "1").toFile());
        assertThat(context.getServiceReferences(Tool.class, null)).isEmpty();
    }

    @Test
    void theToolsDirectoryBecomesAFileInstallWatcher() throws Exception {
        Path tools = dir.resolve("karaf/tools");
        FakeConfigAdmin cm = new FakeConfigAdmin();
        ManifestDeployer d = new ManifestDeployer(context, NO_LAUNCH, config(tools.toString(), 100));
        d.bindConfigurationAdmin(cm.proxy());

        assertThat(tools).isDirectory();
        assertThat(cm.calls).containsExactly("get org.apache.felix.fileinstall toka-tools ?", "update");
        assertThat(cm.properties).containsEntry("felix.fileinstall.dir", tools.toString())
                .containsEntry("felix.fileinstall.filter", ".*\\.tool\\.yaml")
                .containsEntry("felix.fileinstall.poll", "100")
                .containsEntry("felix.fileinstall.noInitialDelay", "true");

        cm.calls.clear();
        d.bindConfigurationAdmin(cm.proxy());
        assertThat(cm.calls).containsExactly("get org.apache.felix.fileinstall toka-tools ?");

        // a manifest in the old directory leaves when the directory changes
        Files.writeString(tools.resolve("run.sh"), "echo\n");
        Files.writeString(tools.resolve("x.tool.yaml"), "name: x\ndescription: d\nexecutable: run.sh\n");
        d.install(tools.resolve("x.tool.yaml").toFile());
        assertThat(tools("x")).hasSize(1);
        d.modified(config("", 100));
        assertThat(tools("x")).isEmpty();
        assertThat(cm.calls).contains("delete");

        d.deactivate();
    }

    @Test
    void karafBaseIsSubstituted() {
        ManifestDeployer d = new ManifestDeployer(context, NO_LAUNCH, config("${karaf.base}/tools", 100));
        // the embedded framework has no karaf.base
        assertThat(d.toolsDir()).isNull();
    }

    /** Just enough ConfigurationAdmin for the watcher: one named factory configuration. */
    static final class FakeConfigAdmin {
        final List<String> calls = new ArrayList<>();
        Map<String, Object> properties;

        ConfigurationAdmin proxy() {
            Configuration config = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {Configuration.class}, (p, m, args) -> switch (m.getName()) {
                        case "getProperties" -> properties == null ? null : new Hashtable<>(properties);
                        case "update" -> {
                            calls.add("update");
                            @SuppressWarnings("unchecked")
                            Dictionary<String, Object> d = (Dictionary<String, Object>) args[0];
                            Map<String, Object> copy = new java.util.HashMap<>();
                            for (String k : java.util.Collections.list(d.keys())) {
                                copy.put(k, d.get(k));
                            }
                            properties = copy;
                            yield null;
                        }
                        case "delete" -> {
                            calls.add("delete");
                            properties = null;
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
            return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ConfigurationAdmin.class}, (p, m, args) -> switch (m.getName()) {
                        case "getFactoryConfiguration" -> {
                            calls.add("get " + args[0] + " " + args[1] + " " + args[2]);
                            yield config;
                        }
                        case "listConfigurations" -> properties == null ? null : new Configuration[] {config};
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }
}
