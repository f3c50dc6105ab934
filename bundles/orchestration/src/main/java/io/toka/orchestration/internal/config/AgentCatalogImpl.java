package io.toka.orchestration.internal.config;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.felix.fileinstall.ArtifactInstaller;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
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
 * The agent configurations: files fed by FileInstall ({@code deploy/*.agent.yaml}, and every {@code *.yaml} or
 * {@code *.yml} in the agents directory) plus configurations defined through the API.
 *
 * <p>Rules, checked on every change:
 * <ul>
 * <li>A file that does not parse or validate is refused; its problems are listed in {@link #errors()} until it is
 * fixed or deleted. A file that becomes invalid loses its configuration.
 * <li>A name is held by whoever loaded it first. A later file with the same name is refused with
 * {@code "Duplicate agent name: x (in A and B)"} and loaded as soon as the name is free again. An API definition
 * of a name a file holds is refused; a file never replaces an API definition either.
 * <li>An unknown required dependency does <em>not</em> refuse a file: FileInstall loads files in no fixed order,
 * so the dependency may be on its way. The configuration is kept, the problem
 * {@code "Agent 'a' depends on non-existent agent 'b'"} is listed in {@link #errors()} under its source while it
 * lasts, and {@link DependencyResolver} refuses to order the agent, so runs and sessions refuse it. An API
 * definition has a caller to answer, so it is refused at once instead.
 * </ul>
 *
 * <p>Reads take an immutable snapshot; changes are serialised. FileInstall waits for a file to stop changing before
 * it reports it, so a half-written file is not read.
 *
 * <p>The agents directory is loaded at activation and then watched live through a FileInstall factory configuration
 * ({@code toka-agents}, as {@code ManifestDeployer} does for tool manifests) that this component creates when
 * ConfigurationAdmin is present.
 */
@Component(service = {AgentCatalog.class, ArtifactInstaller.class}, configurationPid = AgentCatalogImpl.PID)
@Designate(ocd = AgentCatalogImpl.Config.class)
public final class AgentCatalogImpl implements AgentCatalog, ArtifactInstaller {

    /** Configuration PID. */
    public static final String PID = "io.toka.agents";
    /** Agent files in {@code deploy/} end with this (or {@link #DEPLOY_SUFFIX_YML}). */
    public static final String DEPLOY_SUFFIX = ".agent.yaml";
    /** The other suffix accepted in {@code deploy/}. */
    public static final String DEPLOY_SUFFIX_YML = ".agent.yml";
    /** FileInstall factory configuration name of the agents-directory watcher. */
    static final String FILEINSTALL_NAME = "toka-agents";
    static final String FILEINSTALL_FACTORY = "org.apache.felix.fileinstall";
    /** FileInstall filter of the agents-directory watcher. */
    static final String FILEINSTALL_FILTER = ".*\\.ya?ml";

    private static final Pattern YAML_FILE = Pattern.compile(FILEINSTALL_FILTER);
    private static final Logger LOG = LoggerFactory.getLogger(AgentCatalogImpl.class);

    /** Agent catalog configuration. */
    @ObjectClassDefinition(name = "Toka agent configurations",
            description = "Agent YAML files in deploy/ (*.agent.yaml) and in an agents directory (*.yaml, *.yml).")
    public @interface Config {
        @AttributeDefinition(name = "Agents directory",
                description = "A directory of agent configurations (*.yaml, *.yml, not recursive) besides deploy/; "
                        + "${karaf.etc} and ${karaf.base} are replaced. Empty: only deploy/ and the API.")
        String agentsDir() default "${karaf.etc}/toka/agents";

        @AttributeDefinition(name = "Poll interval (ms)",
                description = "How often the agents directory is checked; a change is seen after two polls.",
                min = "10")
        long pollMillis() default 100;
    }

    /** A loaded configuration and whether it came from the API. */
    private record Entry(AgentConfig config, Path file) {
        boolean api() {
            return file == null;
        }

        String where() {
            return file == null ? config.source() : file.toString();
        }
    }

    /** What readers see. */
    private record Snapshot(Map<String, AgentConfig> byName, Map<String, List<String>> errors) {
    }

    private final UnaryOperator<String> properties;
    private final AgentConfigParser parser = new AgentConfigParser();
    private final Object lock = new Object();
    /** Name → holder. Guarded by {@link #lock}. */
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    /** Refused files → their problems. Guarded by {@link #lock}. */
    private final Map<Path, List<String>> refused = new LinkedHashMap<>();
    /** Files refused only because their name is taken → that name. Guarded by {@link #lock}. */
    private final Map<Path, String> waiting = new LinkedHashMap<>();
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of());
    private volatile Path agentsDir;
    private volatile long pollMillis;
    private volatile boolean active = true;
    private volatile ConfigurationAdmin configAdmin;

    @Activate
    public AgentCatalogImpl(BundleContext context, Config config) {
        this(config, context::getProperty);
    }

    /**
     * @param properties framework properties ({@code karaf.etc}, {@code karaf.base})
     */
    AgentCatalogImpl(Config config, UnaryOperator<String> properties) {
        this.properties = properties;
        this.agentsDir = agentsDir(config, properties);
        this.pollMillis = Math.max(10, config.pollMillis());
        LOG.info("Agent configurations: deploy/*{}{}", DEPLOY_SUFFIX,
                agentsDir == null ? "" : " and " + agentsDir + "/*.yaml");
        scan(agentsDir);
    }

    @Modified
    void modified(Config config) {
        Path before = agentsDir;
        Path after = agentsDir(config, properties);
        pollMillis = Math.max(10, config.pollMillis());
        if (before != null && before.equals(after)) {
            watch();
            return;
        }
        agentsDir = after;
        if (before != null) {
            synchronized (lock) {
                for (Path file : files()) {
                    if (before.equals(file.getParent()) && !isDeployName(file)) {
                        drop(file);
                    }
                }
                publish();
            }
        }
        scan(after);
        watch();
        LOG.info("Agent configurations: now deploy/*{}{}", DEPLOY_SUFFIX,
                after == null ? "" : " and " + after + "/*.yaml");
    }

    @Deactivate
    void deactivate() {
        active = false;
        synchronized (lock) {
            entries.clear();
            refused.clear();
            waiting.clear();
            snapshot = new Snapshot(Map.of(), Map.of());
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

    /** The FileInstall watcher over the agents directory, a named factory configuration so restarts reuse it. */
    private void watch() {
        ConfigurationAdmin admin = configAdmin;
        Path dir = agentsDir;
        if (admin == null || !active) {
            return;
        }
        if (dir == null) {
            unwatch(admin);
            return;
        }
        Hashtable<String, Object> wanted = new Hashtable<>();
        wanted.put("felix.fileinstall.dir", dir.toString());
        wanted.put("felix.fileinstall.filter", FILEINSTALL_FILTER);
        wanted.put("felix.fileinstall.poll", Long.toString(pollMillis));
        wanted.put("felix.fileinstall.noInitialDelay", "true");
        try {
            Configuration c = admin.getFactoryConfiguration(FILEINSTALL_FACTORY, FILEINSTALL_NAME, "?");
            Dictionary<String, Object> have = c.getProperties();
            if (have == null || !same(have, wanted)) {
                c.update(wanted);
                LOG.info("FileInstall now watches {} for agent configurations (poll {} ms)", dir, pollMillis);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot make FileInstall watch the agents directory {}: {}", dir, e.getMessage(), e);
        }
    }

    private static void unwatch(ConfigurationAdmin admin) {
        if (admin == null) {
            return;
        }
        try {
            Configuration[] existing = admin.listConfigurations("(" + Constants.SERVICE_PID + "="
                    + FILEINSTALL_FACTORY + "~" + FILEINSTALL_NAME + ")");
            if (existing != null) {
                for (Configuration c : existing) {
                    c.delete();
                }
            }
        } catch (IOException | RuntimeException | InvalidSyntaxException e) {
            LOG.debug("Cannot remove the FileInstall watcher over the agents directory", e);
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

    // ---------------------------------------------------------------- AgentCatalog

    @Override
    public List<AgentConfig> all() {
        return List.copyOf(snapshot.byName().values());
    }

    @Override
    public Optional<AgentConfig> get(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(snapshot.byName().get(name));
    }

    @Override
    public AgentConfig define(String yaml, String source) throws AgentConfigException {
        AgentConfig c = parser.parse(yaml, source);
        synchronized (lock) {
            if (!active) {
                throw new IllegalStateException("The agent catalog is stopped");
            }
            Entry holder = entries.get(c.name());
            List<String> problems = new ArrayList<>();
            if (holder != null && !holder.api()) {
                problems.add(duplicate(c.name(), holder.where(), source));
            }
            for (String dep : c.dependencies().required().keySet()) {
                if (!entries.containsKey(dep)) {
                    problems.add(dangling(c.name(), dep));
                }
            }
            if (!problems.isEmpty()) {
                throw new AgentConfigException(source, problems);
            }
            entries.put(c.name(), new Entry(c, null));
            publish();
            LOG.info("Agent {} {} from {}", c.name(), holder == null ? "defined" : "redefined", source);
            return c;
        }
    }

    @Override
    public boolean remove(String name) {
        synchronized (lock) {
            Entry e = entries.get(name);
            if (e == null || !e.api()) {
                return false;
            }
            entries.remove(name);
            retryWaiting(name);
            publish();
            LOG.info("Agent {} removed", name);
            return true;
        }
    }

    @Override
    public Map<String, List<String>> errors() {
        return snapshot.errors();
    }

    // ---------------------------------------------------------------- FileInstall

    @Override
    public boolean canHandle(File artifact) {
        if (isDeployName(artifact.toPath())) {
            return true;
        }
        Path dir = agentsDir;
        Path file = normal(artifact.toPath());
        return dir != null && dir.equals(file.getParent()) && YAML_FILE.matcher(file.getFileName().toString())
                .matches();
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
            if (drop(file)) {
                LOG.info("Agent file {} removed", file);
            }
            publish();
        }
    }

    /** Reads a file and adds, replaces or withdraws its configuration. */
    void load(Path path) {
        Path file = normal(path);
        synchronized (lock) {
            if (!active) {
                return;
            }
            loadLocked(file);
            publish();
        }
    }

    private void loadLocked(Path file) {
        AgentConfig c;
        try {
            c = parser.parse(read(file), file.toString());
        } catch (AgentConfigException e) {
            waiting.remove(file);
            refuse(file, e.problems());
            return;
        } catch (IOException e) {
            waiting.remove(file);
            refuse(file, List.of("cannot read the file: " + e.getMessage()));
            return;
        }
        Entry holder = entries.get(c.name());
        if (holder != null && !file.equals(holder.file())) {
            waiting.put(file, c.name());
            refuse(file, List.of(duplicate(c.name(), holder.where(), file.toString())));
            return;
        }
        waiting.remove(file);
        refused.remove(file);
        String oldName = nameOf(file);
        entries.put(c.name(), new Entry(c, file));
        if (oldName != null && !oldName.equals(c.name())) {
            entries.remove(oldName);
            retryWaiting(oldName);
        }
        LOG.info("Agent {} {} from {}", c.name(), oldName == null ? "loaded" : "reloaded", file);
    }

    private void refuse(Path file, List<String> problems) {
        String had = nameOf(file);
        if (had != null) {
            entries.remove(had);
            LOG.warn("Agent file {} is no longer valid; agent {} withdrawn", file, had);
        }
        List<String> before = refused.put(file, List.copyOf(problems));
        if (!problems.equals(before)) {
            LOG.warn("Agent file {} refused: {}", file, String.join("; ", problems));
        }
        if (had != null) {
            retryWaiting(had);
        }
    }

    /** Forgets a file: its configuration, its problems, its wait. */
    private boolean drop(Path file) {
        boolean had = refused.remove(file) != null;
        waiting.remove(file);
        String name = nameOf(file);
        if (name != null) {
            entries.remove(name);
            retryWaiting(name);
            return true;
        }
        return had;
    }

    /** A file waiting for {@code name} gets it, now that it is free. */
    private void retryWaiting(String name) {
        if (!active || entries.containsKey(name)) {
            return;
        }
        for (Map.Entry<Path, String> w : new ArrayList<>(waiting.entrySet())) {
            if (w.getValue().equals(name)) {
                loadLocked(w.getKey());
                if (entries.containsKey(name)) {
                    return;
                }
            }
        }
    }

    private String nameOf(Path file) {
        for (Entry e : entries.values()) {
            if (file.equals(e.file())) {
                return e.config().name();
            }
        }
        return null;
    }

    private List<Path> files() {
        List<Path> out = new ArrayList<>(refused.keySet());
        for (Entry e : entries.values()) {
            if (!e.api()) {
                out.add(e.file());
            }
        }
        return out;
    }

    /** Rebuilds the snapshot; the dependency problems are worked out here, so they follow every change. */
    private void publish() {
        Map<String, AgentConfig> byName = new TreeMap<>();
        entries.forEach((n, e) -> byName.put(n, e.config()));
        Map<String, List<String>> errors = new TreeMap<>();
        refused.forEach((f, p) -> errors.put(f.toString(), p));
        for (Entry e : entries.values()) {
            for (String dep : e.config().dependencies().required().keySet()) {
                if (!byName.containsKey(dep)) {
                    errors.computeIfAbsent(e.where(), k -> new ArrayList<>()).add(dangling(e.config().name(), dep));
                }
            }
        }
        errors.replaceAll((k, v) -> List.copyOf(v));
        snapshot = new Snapshot(Collections.unmodifiableMap(byName), Collections.unmodifiableMap(errors));
    }

    private void scan(Path dir) {
        if (dir == null || !active) {
            return;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            LOG.warn("Cannot create the agents directory {}: {}", dir, e.getMessage());
            return;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (Files.isRegularFile(p) && YAML_FILE.matcher(p.getFileName().toString()).matches()) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot list the agents directory {}: {}", dir, e.getMessage());
        }
        files.sort(null);
        synchronized (lock) {
            for (Path f : files) {
                loadLocked(normal(f));
            }
            publish();
        }
    }

    private static String read(Path file) throws IOException {
        if (Files.size(file) > AgentConfigParser.MAX_CHARS * 4L) {
            throw new IOException("larger than " + AgentConfigParser.MAX_CHARS + " characters");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IOException("not UTF-8", e);
        }
    }

    static String duplicate(String name, String first, String second) {
        return "Duplicate agent name: " + name + " (in " + first + " and " + second + ")";
    }

    static String dangling(String agent, String dep) {
        return "Agent '" + agent + "' depends on non-existent agent '" + dep + "'";
    }

    private static boolean isDeployName(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString();
        return n.endsWith(DEPLOY_SUFFIX) || n.endsWith(DEPLOY_SUFFIX_YML);
    }

    private static Path normal(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private static Path agentsDir(Config config, UnaryOperator<String> properties) {
        String raw = config.agentsDir() == null ? "" : config.agentsDir().trim();
        if (raw.isEmpty()) {
            return null;
        }
        for (String key : List.of("karaf.etc", "karaf.base")) {
            String ref = "${" + key + "}";
            if (raw.contains(ref)) {
                String value = properties.apply(key);
                if (value == null) {
                    LOG.info("{} is not set; no agents directory besides deploy/", key);
                    return null;
                }
                raw = raw.replace(ref, value);
            }
        }
        return normal(Path.of(raw));
    }

    /** @return the agents directory, or {@code null} */
    Path agentsDir() {
        return agentsDir;
    }

    /** @return the poll interval the agents-directory watcher uses */
    long pollMillis() {
        return pollMillis;
    }
}
