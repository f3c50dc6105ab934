package io.toka.runtime.internal.deploy;

import io.toka.runtime.internal.registry.ToolLifecycle;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims tool bundle jars dropped into a FileInstall directory ({@code deploy/}) and swaps versions without a
 * failed call.
 *
 * <p>FileInstall's own handling updates a bundle in place, which leaves the tool unregistered for tens of
 * milliseconds and kills calls in flight. Instead, a new version is installed next to the old one at its own
 * location; once its tools are registered the registry routes new calls to them (newer service wins), the old
 * bundle's running calls are drained, and only then is the old bundle uninstalled.
 *
 * <p>A jar is a tool bundle when its manifest imports {@code io.toka.tool}: bnd writes that for any bundle
 * implementing {@code Tool}, so authors need no extra header.
 */
@Component(service = ArtifactInstaller.class, configurationPid = ToolBundleDeployer.PID,
        // ahead of FileInstall's default bundle handling and of other Karaf deployers
        property = Constants.SERVICE_RANKING + ":Integer=100")
@Designate(ocd = ToolBundleDeployer.Config.class)
public final class ToolBundleDeployer implements ArtifactInstaller {

    /** Configuration PID. */
    public static final String PID = "io.toka.deployer";

    /** Location prefix of the bundles this deployer installs; the rest is the jar's URI and a generation. */
    static final String LOCATION_PREFIX = "toka-tool:";

    /** Deployer configuration. */
    @ObjectClassDefinition(name = "Toka tool deployer", description = "Hot deployment of tool bundles from deploy/.")
    public @interface Config {
        @AttributeDefinition(name = "Registration wait (ms)",
                description = "How long a new version may take to register its tools before the swap is abandoned.")
        long registrationTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "Drain wait (ms)",
                description = "How long calls running on an old version may take to finish before it is uninstalled.")
        long drainTimeoutMillis() default 30_000;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ToolBundleDeployer.class);

    /** Declarative Services: a retired bundle's components are disabled before it goes ({@link ServiceUsages}). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceComponentRuntime components;

    private final BundleContext context;
    private final ToolLifecycle lifecycle;
    private final Duration registrationTimeout;
    private final Duration drainTimeout;

    @Activate
    public ToolBundleDeployer(BundleContext context, @Reference ToolLifecycle lifecycle, Config config) {
        this.context = context;
        this.lifecycle = lifecycle;
        this.registrationTimeout = Duration.ofMillis(config.registrationTimeoutMillis());
        this.drainTimeout = Duration.ofMillis(config.drainTimeoutMillis());
        removeOrphans();
    }

    @Override
    public boolean canHandle(File artifact) {
        ToolJar jar = ToolJar.read(artifact);
        return jar != null && jar.toolBundle();
    }

    @Override
    public synchronized void install(File artifact) throws Exception {
        ToolJar jar = require(artifact);
        List<Bundle> existing = bundlesFor(artifact);
        if (existing.isEmpty()) {
            Bundle b = installAndStart(artifact, jar);
            Set<String> tools = lifecycle.awaitTools(b.getBundleId(), Set.of(), Duration.ofSeconds(2));
            LOG.info("Deployed tool bundle {} {} from {}: tools {}", jar.symbolicName(), jar.version(),
                    artifact.getName(), tools);
            return;
        }
        // FileInstall installs every jar again after a restart: keep what is already there.
        Bundle same = existing.stream().filter(b -> b.getVersion().equals(jar.version())).findFirst().orElse(null);
        if (same == null) {
            swap(artifact, jar, existing);
            return;
        }
        for (Bundle other : existing) {
            if (other != same) {
                retireAndUninstall(other);
            }
        }
        if (artifact.lastModified() > same.getLastModified()) {
            updateInPlace(same, artifact);
        }
        if (same.getState() != Bundle.ACTIVE && same.getState() != Bundle.STARTING) {
            same.start();
        }
    }

    @Override
    public synchronized void update(File artifact) throws Exception {
        ToolJar jar = require(artifact);
        List<Bundle> existing = bundlesFor(artifact);
        if (existing.isEmpty()) {
            install(artifact);
        } else {
            swap(artifact, jar, existing);
        }
    }

    @Override
    public synchronized void uninstall(File artifact) throws Exception {
        for (Bundle b : bundlesFor(artifact)) {
            String what = b.getSymbolicName() + " " + b.getVersion();
            retireAndUninstall(b);
            LOG.info("Removed tool bundle {} ({} deleted)", what, artifact.getName());
        }
    }

    private void swap(File artifact, ToolJar jar, List<Bundle> existing) throws Exception {
        Bundle current = existing.get(0);
        if (current.getVersion().equals(jar.version()) || jar.singleton() || isSingleton(current)) {
            // Two bundles with one symbolic name and version (or a singleton) cannot coexist: update in place and
            // let the registry hold calls during the short gap.
            LOG.info("Updating tool bundle {} {} in place (same version or singleton)", jar.symbolicName(), jar.version());
            updateInPlace(current, artifact);
            return;
        }
        Set<String> expected = lifecycle.toolsOf(current.getBundleId());
        Bundle next;
        try {
            next = installAndStart(artifact, jar);
        } catch (BundleException e) {
            if (e.getType() == BundleException.DUPLICATE_BUNDLE_ERROR) {
                LOG.info("{} {} is already installed elsewhere; updating in place", jar.symbolicName(), jar.version());
                updateInPlace(current, artifact);
                return;
            }
            throw e;
        }
        Set<String> registered = lifecycle.awaitTools(next.getBundleId(), expected, registrationTimeout);
        if (registered.isEmpty() && !expected.isEmpty()) {
            LOG.error("Tool bundle {} {} registered no tool within {} ms; keeping version {}", jar.symbolicName(),
                    jar.version(), registrationTimeout.toMillis(), current.getVersion());
            next.uninstall();
            return;
        }
        if (!registered.containsAll(expected)) {
            LOG.warn("Tool bundle {} {} does not provide {} any more", jar.symbolicName(), jar.version(),
                    expected.stream().filter(n -> !registered.contains(n)).toList());
        }
        for (Bundle old : existing) {
            retireAndUninstall(old);
        }
        LOG.info("Swapped tool bundle {} {} -> {}: tools {}", jar.symbolicName(), current.getVersion(), jar.version(),
                registered);
    }

    private void retireAndUninstall(Bundle b) throws BundleException, InterruptedException {
        lifecycle.retireAndDrain(b.getBundleId(), drainTimeout);
        if (b.getState() != Bundle.UNINSTALLED) {
            ServiceUsages.release(b, components, registrationTimeout.toMillis(), ServiceUsages.ALWAYS);
            b.uninstall();
        }
        refreshIfPending(b);
    }

    /**
     * A tool bundle that exports a package stays "removal pending" after its uninstall while any bundle is wired to
     * its export, and the resolver wires a new version's import of that package to the old, already resolved exporter:
     * the new version would keep running the old classes, and the old class loader would never be freed. Refreshing
     * the old bundle rewires its dependants (the new version among them, which restarts: the registry holds calls for
     * the gap) to the exports that remain.
     */
    private void refreshIfPending(Bundle old) throws InterruptedException {
        FrameworkWiring wiring = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        if (wiring == null || !wiring.getRemovalPendingBundles().contains(old)) {
            return;
        }
        LOG.warn("Tool bundle {} {} exports packages that other bundles still use; refreshing it so that they move to "
                + "the new version (tool bundles should export no packages)", old.getSymbolicName(), old.getVersion());
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        wiring.refreshBundles(java.util.List.of(old), event -> done.countDown());
        if (!done.await(registrationTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            LOG.warn("Refreshing tool bundle {} {} did not finish within {} ms", old.getSymbolicName(),
                    old.getVersion(), registrationTimeout.toMillis());
        }
    }

    private Bundle installAndStart(File artifact, ToolJar jar) throws IOException, BundleException {
        String location = LOCATION_PREFIX + artifact.getAbsoluteFile().toURI() + "!" + System.nanoTime();
        Bundle b;
        try (InputStream in = new FileInputStream(artifact)) {
            b = context.installBundle(location, in);
        }
        try {
            b.start();
        } catch (BundleException e) {
            LOG.error("Tool bundle {} {} from {} does not start: {}", jar.symbolicName(), jar.version(),
                    artifact.getName(), e.getMessage());
            b.uninstall();
            throw e;
        }
        return b;
    }

    private static void updateInPlace(Bundle b, File artifact) throws IOException, BundleException {
        try (InputStream in = new FileInputStream(artifact)) {
            b.update(in);
        }
    }

    private static ToolJar require(File artifact) throws BundleException {
        ToolJar jar = ToolJar.read(artifact);
        if (jar == null) {
            throw new BundleException(artifact + " is not a bundle jar");
        }
        return jar;
    }

    private static boolean isSingleton(Bundle b) {
        String bsn = b.getHeaders("").get(Constants.BUNDLE_SYMBOLICNAME);
        return bsn != null && bsn.replace(" ", "").contains("singleton:=true");
    }

    /** Bundles installed by this deployer from a jar, highest version first. */
    private List<Bundle> bundlesFor(File artifact) {
        String prefix = LOCATION_PREFIX + artifact.getAbsoluteFile().toURI() + "!";
        List<Bundle> out = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(prefix) && b.getState() != Bundle.UNINSTALLED) {
                out.add(b);
            }
        }
        out.sort(Comparator.comparing(Bundle::getVersion).reversed());
        return out;
    }

    /** Jars deleted while Toka was down leave bundles that FileInstall knows nothing about. */
    private void removeOrphans() {
        for (Bundle b : context.getBundles()) {
            String loc = b.getLocation();
            if (!loc.startsWith(LOCATION_PREFIX)) {
                continue;
            }
            String uri = loc.substring(LOCATION_PREFIX.length(), loc.lastIndexOf('!'));
            try {
                if (!new File(URI.create(uri)).exists()) {
                    LOG.info("Removing tool bundle {} {}: its jar {} is gone", b.getSymbolicName(), b.getVersion(), uri);
                    b.uninstall();
                }
            } catch (IllegalArgumentException | BundleException e) {
                LOG.warn("Cannot check or remove orphan tool bundle {}: {}", loc, e.getMessage());
            }
        }
    }
}
