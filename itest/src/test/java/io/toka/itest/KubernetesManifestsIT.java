package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The Kubernetes manifests of deploy/kubernetes, parsed with the fabric8 Kubernetes model and checked against what
 * Toka really serves: the ports and paths come from the distribution's etc/ files as the pods see them (the
 * ConfigMap's files mounted over the image's), the image's user and HTTP address from the Dockerfile, and the probe
 * paths are requested from the real distribution, started once, without a token as a kubelet sends them. No cluster
 * runs here. A plain JUnit test, not Pax Exam.
 */
public class KubernetesManifestsIT {

    private static final Path ROOT = Path.of(System.getProperty("toka.project.root", "..")).toAbsolutePath().normalize();
    private static final Path MANIFESTS = ROOT.resolve("deploy/kubernetes");
    private static final Path DOCKERFILE = ROOT.resolve("deploy/docker/Dockerfile");
    private static final String IMAGE_ETC = "/opt/toka/etc/";
    private static final String IMAGE_DEPLOY = "/opt/toka/deploy/";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\[env:([A-Za-z_][A-Za-z0-9_]*)(;default=[^\\]]*)?\\]");

    /** apiVersion and kind of each resource the manifests use, with its fabric8 model class. */
    private static final Map<String, Class<? extends KubernetesResource>> KINDS = Map.of(
            "v1 Namespace", io.fabric8.kubernetes.api.model.Namespace.class,
            "v1 ConfigMap", ConfigMap.class,
            "v1 Service", Service.class,
            "v1 PersistentVolumeClaim", PersistentVolumeClaim.class,
            "apps/v1 StatefulSet", StatefulSet.class);
    private static final Map<String, List<KubernetesResource>> FILES = new LinkedHashMap<>();
    private static StatefulSet statefulSet;
    private static Container toka;
    private static ConfigMap configMap;
    private static Map<String, Service> services;
    /** etc/ as the pods see it: the distribution's files, with the ConfigMap's mounted over them. */
    private static Map<String, String> etc;
    /** ConfigMap files mounted into deploy/. */
    private static final Map<String, String> deploy = new HashMap<>();

    @BeforeClass
    public static void parse() throws IOException {
        try (Stream<Path> s = Files.list(MANIFESTS)) {
            for (Path file : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (file.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                List<KubernetesResource> docs = new ArrayList<>();
                try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(file))) {
                    while (it.hasNext()) {
                        JsonNode doc = it.next();
                        String kind = doc.path("apiVersion").asText() + " " + doc.path("kind").asText();
                        Class<? extends KubernetesResource> type = KINDS.get(kind);
                        assertNotNull(file.getFileName() + ": a kind the manifests may use, not " + kind, type);
                        docs.add(YAML.treeToValue(doc, type));
                    }
                }
                FILES.put(file.getFileName().toString(), docs);
            }
        }
        List<KubernetesResource> all = FILES.values().stream().flatMap(List::stream).toList();
        statefulSet = only(all, StatefulSet.class);
        configMap = only(all, ConfigMap.class);
        services = all.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .collect(Collectors.toMap(x -> x.getMetadata().getName(), x -> x));
        List<Container> containers = statefulSet.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size());
        toka = containers.get(0);

        etc = new HashMap<>();
        Path distributionEtc = Path.of(System.getProperty("toka.distribution.etc"));
        try (Stream<Path> s = Files.walk(distributionEtc)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                etc.put(distributionEtc.relativize(p).toString(), Files.readString(p));
            }
        }
        Map<String, Volume> volumes = volumes();
        for (VolumeMount m : toka.getVolumeMounts()) {
            Volume v = volumes.get(m.getName());
            assertNotNull("volume " + m.getName() + " of mount " + m.getMountPath(), v);
            if (v.getConfigMap() != null) {
                assertEquals(configMap.getMetadata().getName(), v.getConfigMap().getName());
                assertNotNull("a ConfigMap file mounted with subPath: " + m.getMountPath(), m.getSubPath());
                String content = configMap.getData().get(m.getSubPath());
                assertNotNull("ConfigMap key " + m.getSubPath(), content);
                if (m.getMountPath().startsWith(IMAGE_DEPLOY)) {
                    deploy.put(m.getMountPath().substring(IMAGE_DEPLOY.length()), content);
                } else {
                    assertTrue(m.getMountPath() + " is under etc/ or deploy/", m.getMountPath().startsWith(IMAGE_ETC));
                    etc.put(m.getMountPath().substring(IMAGE_ETC.length()), content);
                }
            }
        }
    }

    @Test
    public void everyManifestIsListedAndHasNoUnknownField() throws IOException {
        JsonNode kustomization = YAML.readTree(MANIFESTS.resolve("kustomization.yaml").toFile());
        Set<String> listed = new TreeSet<>();
        kustomization.get("resources").forEach(r -> listed.add(r.asText()));
        assertEquals(new TreeSet<>(FILES.keySet()), listed);
        for (var e : FILES.entrySet()) {
            for (KubernetesResource r : e.getValue()) {
                HasMetadata h = (HasMetadata) r;
                assertTrue(e.getKey() + ": " + h.getMetadata().getName(), h.getMetadata().getName().startsWith("toka"));
                assertEquals(e.getKey() + ": everything in the namespace the manifests make", "toka", namespaceOf(h));
                List<String> unknown = new ArrayList<>();
                unknownFields(r, e.getKey() + ":" + r.getClass().getSimpleName(), unknown, new IdentityHashMap<>());
                assertEquals("fields the Kubernetes API does not know (typos are dropped silently)", List.of(), unknown);
            }
        }
    }

    @Test
    public void threeReplicasWithStableIdentityAndTheirOwnData() {
        assertEquals(Integer.valueOf(3), statefulSet.getSpec().getReplicas());
        Service headless = services.get(statefulSet.getSpec().getServiceName());
        assertNotNull("serviceName names a Service", headless);
        assertEquals("None", headless.getSpec().getClusterIP());
        Map<String, String> podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(statefulSet.getSpec().getSelector().getMatchLabels().entrySet()));
        for (Service svc : services.values()) {
            assertTrue(svc.getMetadata().getName() + " selects the pods",
                    podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet()));
        }
        Map<String, String> mounts = toka.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getMountPath, VolumeMount::getName));
        String dataClaim = mounts.get("/opt/toka/data");
        assertTrue("data/ on the replica's own claim", statefulSet.getSpec().getVolumeClaimTemplates().stream()
                .anyMatch(t -> t.getMetadata().getName().equals(dataClaim)
                        && t.getSpec().getAccessModes().contains("ReadWriteOnce")));
        Volume workspace = volumes().get(mounts.get("/opt/toka/workspace"));
        PersistentVolumeClaim shared = FILES.values().stream().flatMap(List::stream)
                .filter(PersistentVolumeClaim.class::isInstance).map(PersistentVolumeClaim.class::cast)
                .filter(p -> p.getMetadata().getName().equals(workspace.getPersistentVolumeClaim().getClaimName()))
                .findFirst().orElseThrow(() -> new AssertionError("the workspace claim is one of the manifests"));
        assertTrue(shared.getSpec().getAccessModes().contains("ReadWriteMany"));
    }

    @Test
    public void portsAreTheOnesTheConfigurationOpens() throws IOException {
        Properties http = cfg("org.apache.felix.http.cfg");
        int port = Integer.parseInt(http.getProperty("org.osgi.service.http.port").trim());
        ContainerPort httpPort = containerPort("http");
        assertEquals("containerPort http = etc/org.apache.felix.http.cfg", port, (int) httpPort.getContainerPort());
        Service api = services.get("toka");
        ServicePort sp = api.getSpec().getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst().orElseThrow();
        assertEquals(port, resolve(sp.getTargetPort()));

        // the address: the configured host, or the environment variable it names, is not loopback in the pod
        String host = http.getProperty("org.apache.felix.http.host").trim();
        Matcher m = ENV_REFERENCE.matcher(host);
        if (m.matches()) {
            String value = env(m.group(1));
            host = value != null ? value : imageEnv(m.group(1));
            if (host == null) {
                host = m.group(2) == null ? "" : m.group(2).substring(";default=".length());
            }
        }
        assertFalse("the pod must listen beyond loopback, or no probe and no Service reaches it: " + host,
                host.startsWith("127.") || host.equals("localhost") || host.equals("::1"));

        // MCP: its path, and the Service's names among the Host/Origin names it accepts
        Properties mcp = cfg("io.toka.mcp.cfg");
        Set<String> origins = Set.of(mcp.getProperty("allowedOrigins").split("\\s*,\\s*"));
        String ns = namespaceOf(api);
        for (String name : List.of("toka", "toka." + ns + ".svc", "toka." + ns + ".svc.cluster.local")) {
            assertTrue("allowedOrigins has " + name + ": " + origins, origins.contains(name));
        }

        // clustering: TCP-IP join (never multicast) with one member per replica, by its stable name under the
        // headless Service, on the member port the pods open
        Properties cluster = cfg("io.toka.cluster.cfg");
        int memberPort = Integer.parseInt(cluster.getProperty("port").trim());
        assertEquals(memberPort, (int) containerPort("hazelcast").getContainerPort());
        Service headless = services.get(statefulSet.getSpec().getServiceName());
        assertEquals(memberPort, resolve(headless.getSpec().getPorts().get(0).getTargetPort()));
        assertTrue(headless.getSpec().getPublishNotReadyAddresses());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < statefulSet.getSpec().getReplicas(); i++) {
            expected.add(statefulSet.getMetadata().getName() + "-" + i + "." + headless.getMetadata().getName() + "."
                    + namespaceOf(headless) + ".svc.cluster.local:" + memberPort);
        }
        assertEquals("a member per replica", expected, List.of(cluster.getProperty("members").trim().split("\\s*,\\s*")));
        assertEquals("$[env:POD_IP]", cluster.getProperty("bindAddress").trim());
        assertEquals("status.podIP", toka.getEnv().stream().filter(v -> v.getName().equals("POD_IP")).findFirst()
                .orElseThrow().getValueFrom().getFieldRef().getFieldPath());
        assertEquals("metadata.name", toka.getEnv().stream().filter(v -> v.getName().equals("POD_NAME")).findFirst()
                .orElseThrow().getValueFrom().getFieldRef().getFieldPath());
        assertEquals("http://$[env:POD_IP]:" + port, cluster.getProperty("httpUrl").trim());
        assertFalse(cluster.getProperty("clusterName").isBlank());
        // the cluster feature is started from deploy/, and it is one of Toka's features
        String boot = deploy.get("toka-cluster.xml");
        assertNotNull("deploy/toka-cluster.xml", boot);
        Matcher f = Pattern.compile("<feature>([^<]+)</feature>").matcher(boot);
        assertTrue(f.find());
        String features = Files.readString(ROOT.resolve("features/src/main/feature/feature.xml"));
        assertTrue(f.group(1) + " is a Toka feature", features.contains("<feature name=\"" + f.group(1) + "\""));
        assertTrue(boot.contains("install=\"auto\""));
    }

    @Test
    public void secretsReachWhatReadsThem() throws IOException {
        String llmCfg = etc.get("io.toka.llm.cfg");
        Set<String> referenced = new TreeSet<>();
        for (var e : etc.entrySet()) {
            Matcher m = ENV_REFERENCE.matcher(e.getValue());
            while (m.find()) {
                referenced.add(m.group(1));
                if (m.group(2) == null && !e.getKey().equals("org.apache.felix.http.cfg")) {
                    assertNotNull("etc/" + e.getKey() + " reads $[env:" + m.group(1) + "], which the pod sets",
                            toka.getEnv().stream().filter(v -> v.getName().equals(m.group(1))).findFirst().orElse(null));
                }
            }
        }
        List<String> fromSecrets = new ArrayList<>();
        for (EnvVar v : toka.getEnv()) {
            if (v.getValueFrom() == null || v.getValueFrom().getSecretKeyRef() == null) {
                continue;
            }
            SecretKeySelector ref = v.getValueFrom().getSecretKeyRef();
            assertTrue(v.getName() + ": a Secret name and key", ref.getName().startsWith("toka-") && !ref.getKey().isBlank());
            fromSecrets.add(v.getName());
            // either an etc/ file reads it through interpolation, or the LLM gateway reads it (its etc/ file says so)
            boolean read = referenced.contains(v.getName())
                    || v.getName().endsWith("_API_KEY") && llmCfg.contains(v.getName());
            assertTrue(v.getName() + " comes from a Secret but nothing in etc/ reads it", read);
            assertTrue("no secret is given a literal value too", v.getValue() == null);
        }
        assertTrue(fromSecrets.containsAll(List.of("TOKA_PG_PASSWORD", "TOKA_CLUSTER_SECRET", "ANTHROPIC_API_KEY",
                "OPENAI_API_KEY")));
        // the store that needs the password is the one the pods use
        Properties store = cfg("io.toka.store.cfg");
        assertEquals("postgresql", store.getProperty("type").trim());
        assertEquals("$[env:TOKA_PG_PASSWORD]", store.getProperty("postgresqlPassword").trim());
        for (var file : configMap.getData().entrySet()) {
            if (!file.getKey().endsWith(".cfg")) {
                continue;
            }
            Properties p = new Properties();
            p.load(new StringReader(file.getValue()));
            for (String key : p.stringPropertyNames()) {
                String value = p.getProperty(key).trim();
                if (key.toLowerCase().contains("password") || key.toLowerCase().contains("apikey")) {
                    assertTrue(file.getKey() + ": " + key + " comes from a Secret, not the ConfigMap",
                            value.isEmpty() || value.startsWith("$[env:") || value.startsWith("$[secret:"));
                }
            }
        }
        // a ConfigMap file replaces the distribution's whole file: it keeps every setting, or a default would change
        for (String key : configMap.getData().keySet()) {
            Path original = Path.of(System.getProperty("toka.distribution.etc"), key);
            if (key.endsWith(".cfg") && Files.exists(original)) {
                Properties dist = new Properties();
                dist.load(new StringReader(Files.readString(original)));
                Properties ours = new Properties();
                ours.load(new StringReader(configMap.getData().get(key)));
                assertEquals(key + " keeps the distribution's settings", dist.stringPropertyNames(), ours.stringPropertyNames());
            }
        }
    }

    @Test
    public void resourcesAndSecurity() throws IOException {
        var res = toka.getResources();
        for (String r : List.of("cpu", "memory")) {
            Quantity request = res.getRequests().get(r);
            Quantity limit = res.getLimits().get(r);
            assertNotNull(r + " request", request);
            assertNotNull(r + " limit", limit);
            assertTrue(r + " request <= limit", Quantity.getAmountInBytes(request).compareTo(Quantity.getAmountInBytes(limit)) <= 0);
        }
        String heap = env("TOKA_HEAP_MAX");
        assertNotNull(heap);
        BigDecimal heapBytes = Quantity.getAmountInBytes(new Quantity(heap.replace("m", "Mi").replace("g", "Gi")));
        BigDecimal limit = Quantity.getAmountInBytes(res.getLimits().get("memory"));
        assertTrue("heap " + heap + " leaves room under the memory limit for the JVM and the sandbox",
                heapBytes.multiply(BigDecimal.valueOf(2)).compareTo(limit) <= 0);

        String dockerfile = Files.readString(DOCKERFILE);
        Matcher uid = Pattern.compile("(?m)^ARG TOKA_UID=(\\d+)$").matcher(dockerfile);
        assertTrue(uid.find());
        var pod = statefulSet.getSpec().getTemplate().getSpec().getSecurityContext();
        assertTrue(pod.getRunAsNonRoot());
        assertEquals(Long.valueOf(uid.group(1)), pod.getRunAsUser());
        assertEquals(Long.valueOf(uid.group(1)), pod.getFsGroup());
        assertFalse(toka.getSecurityContext().getAllowPrivilegeEscalation());
        assertTrue("not privileged", toka.getSecurityContext().getPrivileged() == null || !toka.getSecurityContext().getPrivileged());
        // what bubblewrap needed in Docker (README, "Container"): no seccomp filter and an unmasked /proc, which
        // Kubernetes grants only to a pod in a user namespace
        assertEquals("Unconfined", toka.getSecurityContext().getSeccompProfile().getType());
        assertEquals("Unmasked", toka.getSecurityContext().getProcMount());
        assertEquals(Boolean.FALSE, statefulSet.getSpec().getTemplate().getSpec().getHostUsers());
    }

    @Test
    public void probesAreAnsweredByTheDistributionWithoutAToken() throws Exception {
        Map<String, Probe> probes = new LinkedHashMap<>();
        probes.put("startup", toka.getStartupProbe());
        probes.put("liveness", toka.getLivenessProbe());
        probes.put("readiness", toka.getReadinessProbe());
        int port = Integer.parseInt(cfg("org.apache.felix.http.cfg").getProperty("org.osgi.service.http.port").trim());
        String healthcheck = Files.readString(DOCKERFILE.resolveSibling("toka-healthcheck"));
        for (var e : probes.entrySet()) {
            assertNotNull(e.getKey() + " probe", e.getValue());
            HTTPGetAction get = e.getValue().getHttpGet();
            assertNotNull(e.getKey() + " probe is an HTTP GET", get);
            assertEquals(e.getKey(), port, resolve(get.getPort()));
            assertTrue(e.getKey() + " probe, no header (no token in a manifest)", get.getHttpHeaders() == null || get.getHttpHeaders().isEmpty());
        }
        assertEquals("liveness = the image's HEALTHCHECK", true,
                healthcheck.contains(toka.getLivenessProbe().getHttpGet().getPath() + "\""));
        assertEquals(toka.getLivenessProbe().getHttpGet().getPath(), toka.getStartupProbe().getHttpGet().getPath());
        assertTrue("a start may take minutes on a small node",
                toka.getStartupProbe().getPeriodSeconds() * toka.getStartupProbe().getFailureThreshold() >= 120);

        int httpPort = Integer.getInteger("toka.k8s.http.port", 28481);
        try (Distribution d = Distribution.unpack("k8s-probes", httpPort, Integer.getInteger("toka.k8s.ssh.port", 28401))) {
            d.start();
            HttpClient client = HttpClient.newHttpClient();
            for (var e : probes.entrySet()) {
                String path = e.getValue().getHttpGet().getPath();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                        client.send(HttpRequest.newBuilder(URI.create(d.url(path))).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            }
            // the MCP path the ConfigMap keeps is served (401 without a token, not 404)
            String mcpPath = cfg("io.toka.mcp.cfg").getProperty("path").trim();
            HttpResponse<String> mcp = client.send(HttpRequest.newBuilder(URI.create(d.url(mcpPath)))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(mcp.body(), 401, mcp.statusCode());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static <T> T only(List<KubernetesResource> all, Class<T> type) {
        List<T> found = all.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals("one " + type.getSimpleName(), 1, found.size());
        return found.get(0);
    }

    private static String namespaceOf(HasMetadata r) {
        return r instanceof io.fabric8.kubernetes.api.model.Namespace ? "toka" : r.getMetadata().getNamespace();
    }

    private static Map<String, Volume> volumes() {
        PodSpec spec = statefulSet.getSpec().getTemplate().getSpec();
        Map<String, Volume> v = new HashMap<>();
        spec.getVolumes().forEach(x -> v.put(x.getName(), x));
        statefulSet.getSpec().getVolumeClaimTemplates().forEach(t -> v.put(t.getMetadata().getName(),
                new VolumeBuilder().withName(t.getMetadata().getName()).build()));
        return v;
    }

    private static Properties cfg(String name) throws IOException {
        String content = etc.get(name);
        assertNotNull("etc/" + name, content);
        Properties p = new Properties();
        p.load(new StringReader(content));
        return p;
    }

    private static ContainerPort containerPort(String name) {
        return toka.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + name));
    }

    private static int resolve(IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return containerPort(port.getStrVal()).getContainerPort();
    }

    private static String env(String name) {
        return toka.getEnv().stream().filter(v -> v.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    /** A variable the image sets (ENV in the Dockerfile). */
    private static String imageEnv(String name) throws IOException {
        Matcher m = Pattern.compile("(?m)[\\s\\\\]" + name + "=(\\S+)").matcher(Files.readString(DOCKERFILE));
        return m.find() ? m.group(1) : null;
    }

    /** Every non-empty getAdditionalProperties() in the object graph: fields the model did not recognise. */
    private static void unknownFields(Object o, String path, List<String> found, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Iterable<?> it) {
            int i = 0;
            for (Object x : it) {
                unknownFields(x, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, found, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                fail(path + "." + m.getName() + ": " + e);
                return;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
            } else if (!(value instanceof String) && !(value instanceof Number) && !(value instanceof Boolean)) {
                unknownFields(value, path + "." + m.getName().substring(3), found, seen);
            }
        }
    }
}
