package io.toka.tools.external.internal;

import io.toka.sandbox.SandboxLauncher;
import io.toka.tool.Tool;
import io.toka.tools.external.DraftManifest;
import io.toka.tools.external.ExternalTools;
import io.toka.tools.external.LoadedManifest;
import io.toka.tools.external.ManifestError;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns {@code *.tool.yaml} manifests into {@link Tool} services, and lists what loaded and what failed.
 *
 * <p>FileInstall feeds the files: Karaf's own watcher over {@code deploy/}, and a second watcher over the configured
 * tools directory that this component creates as a FileInstall factory configuration. Reusing FileInstall rather
 * than a WatchService of our own keeps one code path for both directories, and FileInstall already waits for a file
 * to stop changing (two equal polls) before it reports it, so a half-written manifest is not read. With the default
 * 100 ms poll a change is live within about 200-300 ms.
 *
 * <p>An update registers the new tool service before the old one is unregistered, so the registry (newest service
 * wins) never lacks the tool. A manifest that becomes invalid loses its tool; its errors stay listed until the file
 * is fixed or deleted.
 */
@Component(service = {ArtifactInstaller.class, ExternalTools.class}, configurationPid = ManifestDeployer.PID)
@Designate(ocd = ManifestDeployer.Config.class)
public final class ManifestDeployer implements ArtifactInstaller, ExternalTools {

    /** Configuration PID. */
    public static final String PID = "io.toka.tools.external";
    /** Service property on each manifest tool: the manifest file. */
    public static final String MANIFEST_PROPERTY = "toka.tool.manifest";
    /** Manifest files end with this. */
    public static final String SUFFIX = ".tool.yaml";
    static final String FILEINSTALL_FACTORY = "org.apache.felix.fileinstall";
    static final String FILEINSTALL_NAME = "toka-tools";

    /** External tools configuration. */
    @ObjectClassDefinition(name = "Toka external tools",
            description = "Script tools described by *.tool.yaml manifests in deploy/ and in a tools directory.")
    public @interface Config {
        @AttributeDefinition(name = "Tools directory",
                description = "A directory watched for *.tool.yaml manifests besides deploy/; ${karaf.base} is "
                        + "replaced by Karaf's base directory. Empty: only deploy/.")
        String toolsDir() default "${karaf.base}/tools";

        @AttributeDefinition(name = "Poll interval (ms)",
                description = "How often the tools directory is checked; a change is seen after two polls.", min = "10")
        long pollMillis() default 100;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ManifestDeployer.class);

    private final BundleContext context;
    private final SandboxLauncher launcher;
    private final ManifestParser parser;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final Map<Path, Loaded> loaded = new LinkedHashMap<>();
    /** Guarded by {@link #lock}. */
    private final Map<Path, List<ManifestError>> errors = new LinkedHashMap<>();
    /** Files refused only because another file defines their tool name; retried when that name is freed. */
    private final Map<Path, String> waiting = new LinkedHashMap<>();
    private volatile Path toolsDir;
    private volatile long pollMillis;
    private volatile ConfigurationAdmin configAdmin;
    private volatile boolean active = true;

    private record Loaded(ManifestTool tool, ServiceRegistration<Tool> registration, Instant at) {
    }

    @Activate
    public ManifestDeployer(BundleContext context, @Reference(name = "launcher") SandboxLauncher launcher, Config config) {
        this(context, launcher, config, new ManifestParser());
    }

    ManifestDeployer(BundleContext context, SandboxLauncher launcher, Config config, ManifestParser parser) {
        this.context = Objects.requireNonNull(context, "context");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.parser = parser;
        this.toolsDir = toolsDir(config, context);
        this.pollMillis = Math.max(10, config.pollMillis());
        LOG.info("External tools: watching deploy/{}", toolsDir == null ? " only" : " and " + toolsDir);
    }

    @Modified
    void modified(Config config) {
        Path before = toolsDir;
        Path after = toolsDir(config, context);
        toolsDir = after;
        pollMillis = Math.max(10, config.pollMillis());
        if (before != null && !before.equals(after)) {
            synchronized (lock) {
                for (Path file : new ArrayList<>(loaded.keySet())) {
                    if (file.startsWith(before)) {
                        remove(file);
                    }
                }
                errors.keySet().removeIf(f -> f.startsWith(before));
                waiting.keySet().removeIf(f -> f.startsWith(before));
            }
        }
        watch();
        LOG.info("External tools: now watching deploy/{}", after == null ? " only" : " and " + after);
    }

    @Deactivate
    void deactivate() {
        active = false;
        synchronized (lock) {
            for (Path file : new ArrayList<>(loaded.keySet())) {
                remove(file);
            }
            errors.clear();
            waiting.clear();
        }
        unwatch(configAdmin);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindConfigurationAdmin(ConfigurationAdmin admin) {
        this.configAdmin = admin;
        watch();
    }

    void unbindConfigurationAdmin(ConfigurationAdmin admin) {
        if (configAdmin == admin) {
            configAdmin = null;
        }
    }

    // ---------------------------------------------------------------- FileInstall

    @Override
    public boolean canHandle(File artifact) {
        return artifact.getName().endsWith(SUFFIX);
    }

    @Override
    public void install(File artifact) {
        load(artifact.toPath());
    }

    @Override
    public void update(File artifact) {
        load(artifact.toPath());
    }

    @Override
    public void uninstall(File artifact) {
        Path file = normal(artifact.toPath());
        synchronized (lock) {
            boolean had = remove(file);
            boolean hadErrors = errors.remove(file) != null;
            waiting.remove(file);
            if (had || hadErrors) {
                LOG.info("Manifest {} removed", file);
            }
        }
    }

    /** Reads a manifest and registers, swaps or withdraws its tool. */
    void load(Path path) {
        Path file = normal(path);
        synchronized (lock) {
            if (!active) {
                return;
            }
            ManifestParser.Result r = parser.parse(file);
            Instant now = Instant.now();
            if (!r.valid()) {
                waiting.remove(file);
                refuse(file, r.problems(), now);
                return;
            }
            Manifest m = r.manifest();
            Path owner = ownerOf(m.name(), file);
            if (owner != null) {
                waiting.put(file, m.name());
                refuse(file, List.of(new ManifestParser.Problem(m.nameField(),
                        "tool '" + m.name() + "' is already defined by " + owner)), now);
                return;
            }
            waiting.remove(file);
            ManifestTool tool = new ManifestTool(m, launcher);
            ServiceRegistration<Tool> registration = context.registerService(Tool.class, tool, properties(m));
            Loaded old = loaded.put(file, new Loaded(tool, registration, now));
            errors.remove(file);
            if (old != null) {
                unregister(old);
                String oldName = old.tool.manifest().name();
                LOG.info("Manifest {} updated: tool {} {} (was {} {})", file, m.name(), m.version(), oldName,
                        old.tool.manifest().version());
                if (!oldName.equals(m.name())) {
                    retryWaiting(oldName);
                }
            } else {
                LOG.info("Manifest {} loaded: tool {} {} runs {}", file, m.name(), m.version(), m.executable());
            }
        }
    }

    private void refuse(Path file, List<ManifestParser.Problem> problems, Instant now) {
        Loaded old = loaded.remove(file);
        if (old != null) {
            unregister(old);
            LOG.warn("Manifest {} is no longer valid; tool {} withdrawn", file, old.tool.manifest().name());
        }
        List<ManifestError> list = problems.stream()
                .map(p -> new ManifestError(file.toString(), p.field(), p.problem(), now)).toList();
        List<ManifestError> before = errors.put(file, list);
        if (before == null || !before.stream().map(e -> e.field() + e.problem()).toList()
                .equals(list.stream().map(e -> e.field() + e.problem()).toList())) {
            for (ManifestError e : list) {
                LOG.warn("Manifest {}: {}: {}", file, e.field(), e.problem());
            }
        }
        if (old != null && !problems.isEmpty()) {
            retryWaiting(old.tool.manifest().name());
        }
    }

    /** Drops a file's tool; a file waiting for that tool name gets another chance. */
    private boolean remove(Path file) {
        Loaded old = loaded.remove(file);
        if (old == null) {
            return false;
        }
        unregister(old);
        LOG.info("Tool {} from {} withdrawn", old.tool.manifest().name(), file);
        retryWaiting(old.tool.manifest().name());
        return true;
    }

    private void retryWaiting(String name) {
        if (!active) {
            return;
        }
        for (Map.Entry<Path, String> w : new ArrayList<>(waiting.entrySet())) {
            if (w.getValue().equals(name) && ownerOf(name, w.getKey()) == null) {
                load(w.getKey());
                return;
            }
        }
    }

    private Path ownerOf(String name, Path except) {
        for (Map.Entry<Path, Loaded> e : loaded.entrySet()) {
            if (!e.getKey().equals(except) && e.getValue().tool.manifest().name().equals(name)) {
                return e.getKey();
            }
        }
        return null;
    }

    private static void unregister(Loaded l) {
        try {
            l.registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the bundle is stopping and the framework unregistered it first
        }
    }

    private static Dictionary<String, Object> properties(Manifest m) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(Tool.NAME, m.name());
        p.put(MANIFEST_PROPERTY, m.file().toString());
        p.put("toka.tool.version", m.version());
        p.put(Constants.SERVICE_DESCRIPTION, m.description());
        return p;
    }

    private static Path normal(Path p) {
        return p.toAbsolutePath().normalize();
    }

    // ---------------------------------------------------------------- ExternalTools

    @Override
    public List<LoadedManifest> loaded() {
        synchronized (lock) {
            return loaded.entrySet().stream()
                    .map(e -> {
                        Manifest m = e.getValue().tool.manifest();
                        return new LoadedManifest(m.name(), m.version(), e.getKey().toString(),
                                m.executable().toString(), e.getValue().at);
                    })
                    .sorted(Comparator.comparing(LoadedManifest::file)).toList();
        }
    }

    @Override
    public List<ManifestError> errors() {
        synchronized (lock) {
            return errors.values().stream().flatMap(List::stream)
                    .sorted(Comparator.comparing(ManifestError::file)).toList();
        }
    }

    @Override
    public List<DraftManifest> discover(Path dir) throws IOException {
        return ScriptDiscovery.discover(dir);
    }

    // ---------------------------------------------------------------- tools directory

    /** The FileInstall watcher over the tools directory, as a named factory configuration, so restarts reuse it. */
    private void watch() {
        ConfigurationAdmin admin = configAdmin;
        Path dir = toolsDir;
        if (admin == null || !active) {
            return;
        }
        if (dir == null) {
            unwatch(admin);
            return;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            LOG.warn("Cannot create the tools directory {}: {}", dir, e.getMessage());
        }
        Hashtable<String, Object> wanted = new Hashtable<>();
        wanted.put("felix.fileinstall.dir", dir.toString());
        wanted.put("felix.fileinstall.filter", ".*\\.tool\\.yaml");
        wanted.put("felix.fileinstall.poll", Long.toString(pollMillis));
        wanted.put("felix.fileinstall.noInitialDelay", "true");
        try {
            Configuration c = admin.getFactoryConfiguration(FILEINSTALL_FACTORY, FILEINSTALL_NAME, "?");
            Dictionary<String, Object> have = c.getProperties();
            if (have == null || !same(have, wanted)) {
                c.update(wanted);
                LOG.info("FileInstall now watches {} for *{} (poll {} ms)", dir, SUFFIX, pollMillis);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot make FileInstall watch the tools directory {}: {}", dir, e.getMessage(), e);
        }
    }

    private static void unwatch(ConfigurationAdmin admin) {
        if (admin == null) {
            return;
        }
        try {
            Configuration[] existing = admin.listConfigurations("(" + Constants.SERVICE_PID + "=" + FILEINSTALL_FACTORY
                    + "~" + FILEINSTALL_NAME + ")");
            if (existing != null) {
                for (Configuration c : existing) {
                    c.delete();
                }
            }
        } catch (IOException | RuntimeException | org.osgi.framework.InvalidSyntaxException e) {
            LOG.debug("Cannot remove the FileInstall watcher over the tools directory", e);
        }
    }

    private static boolean same(Dictionary<String, Object> have, Map<String, Object> wanted) {
        for (Map.Entry<String, Object> e : wanted.entrySet()) {
            Object v = have.get(e.getKey());
            if (v == null || !v.toString().equals(e.getValue().toString())) {
                return false;
            }
        }
        return true;
    }

    private static Path toolsDir(Config config, BundleContext context) {
        String raw = config.toolsDir() == null ? "" : config.toolsDir().trim();
        if (raw.isEmpty()) {
            return null;
        }
        if (raw.contains("${karaf.base}")) {
            String base = context.getProperty("karaf.base");
            if (base == null) {
                LOG.info("karaf.base is not set; no tools directory besides deploy/");
                return null;
            }
            raw = raw.replace("${karaf.base}", base);
        }
        return Path.of(raw).toAbsolutePath().normalize();
    }

    /** @return the configured tools directory, or {@code null} */
    Path toolsDir() {
        return toolsDir;
    }
}
