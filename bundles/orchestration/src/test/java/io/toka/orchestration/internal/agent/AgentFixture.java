package io.toka.orchestration.internal.agent;

import io.toka.runtime.internal.registry.ToolRegistryImpl;
import io.toka.security.AuditLog;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import io.toka.security.TokenService;
import io.toka.security.TokenService;
import io.toka.security.testing.TestTokens;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import io.toka.tools.nativ.internal.FileReaderTool;
import io.toka.tools.nativ.internal.FileWriterTool;
import io.toka.tools.nativ.internal.WorkspaceConfig;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * Real components around the agent service: the tool registry in an embedded Felix with the real
 * {@code file-reader} and {@code file-writer} on a workspace directory, and the real token authority; only the LLM
 * gateway is {@link ScriptedGateway scripted}. Close it in {@code @AfterEach}.
 */
public final class AgentFixture implements AutoCloseable {

    public final Path dir;
    public final Path workspace;
    public final Framework framework;
    public final ToolRegistryImpl registry;
    /** The real token authority, through the security module's test support. */
    public final TestTokens tokens;
    public final TokenService authority;
    public final ScriptedGateway llm = new ScriptedGateway();
    public final TestCatalog catalog = new TestCatalog();
    public final RecordingKernel kernel = new RecordingKernel();
    /** A caller holding every permission, authenticated with a real token. */
    public final SecurityContext orchestrator;
    public AgentServiceImpl agents;

    public AgentFixture(Path dir) throws Exception {
        this.dir = dir;
        this.workspace = Files.createDirectories(dir.resolve("workspace"));
        framework = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.init();
        framework.start();
        registry = new ToolRegistryImpl(framework.getBundleContext(), registryConfig());
        register(new FileReaderTool(workspaceConfig(workspace)));
        register(new FileWriterTool(workspaceConfig(workspace)));
        tokens = new TestTokens(dir.resolve("security"));
        authority = tokens.service();
        orchestrator = caller("orchestrator", "*");
    }

    /** Starts the agent service with retries in milliseconds and the recording kernel. */
    public AgentServiceImpl start(int maxConcurrentAgents) {
        agents = new AgentServiceImpl(catalog, llm, registry, authority, config(maxConcurrentAgents, 1, 8, 3));
        agents.setKernel(kernel);
        return agents;
    }

    /** A caller authenticated with a real root token holding the permissions. */
    public SecurityContext caller(String subject, String... permissions) throws Exception {
        return tokens.caller(subject, permissions);
    }

    public void register(Tool tool) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Tool.NAME, tool.descriptor().name());
        framework.getBundleContext().registerService(Tool.class, tool, props);
    }

    /** A tool that answers its name, or fails when {@code fail} is true, requiring the permissions. */
    public static Tool simpleTool(String name, boolean fail, String... requiredPermissions) {
        ToolDescriptor d = ToolDescriptor.builder(name).description("test tool " + name)
                .requiredPermissions(requiredPermissions).build();
        return new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return d;
            }

            @Override
            public ToolResult invoke(io.toka.tool.ToolInvocation invocation) {
                return fail ? ToolResult.failure(name + " broke") : ToolResult.success(name + " ok");
            }
        };
    }

    @Override
    public void close() throws Exception {
        if (agents != null) {
            agents.deactivate();
        }
        framework.stop();
        framework.waitForStop(10_000);
    }

    // ---------------------------------------------------------------- configuration fakes

    private static final AuditLog NO_AUDIT = event -> {
    };

    public static AgentServiceImpl.Config config(int maxConcurrentAgents, long retryBaseMillis, long retryMaxMillis,
            int maxRetries) {
        return new AgentServiceImpl.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return AgentServiceImpl.Config.class;
            }

            @Override
            public int maxConcurrentAgents() {
                return maxConcurrentAgents;
            }

            @Override
            public long retryBaseMillis() {
                return retryBaseMillis;
            }

            @Override
            public long retryMaxMillis() {
                return retryMaxMillis;
            }

            @Override
            public int maxRetries() {
                return maxRetries;
            }

            @Override
            public int maxTokens() {
                return 4096;
            }

            @Override
            public int tokenTtlMinutes() {
                return 120;
            }

            @Override
            public double temperature() {
                return 0.3;
            }

            @Override
            public int maxToolOutputChars() {
                return 8192;
            }

            @Override
            public boolean durable() {
                return true;
            }

            @Override
            public String stateDirectory() {
                return "";
            }

            @Override
            public int recordTimeoutSeconds() {
                return 30;
            }

            @Override
            public boolean verdictTool() {
                return true;
            }

            @Override
            public int resumeToolWaitSeconds() {
                return 5;
            }
        };
    }

    private static ToolRegistryImpl.Config registryConfig() {
        return new ToolRegistryImpl.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ToolRegistryImpl.Config.class;
            }

            @Override
            public int maxConcurrentCallsPerTool() {
                return 256;
            }

            @Override
            public int maxThreads() {
                return 256;
            }

            @Override
            public long swapWaitMillis() {
                return 0;
            }
        };
    }

    private static WorkspaceConfig workspaceConfig(Path root) {
        return new WorkspaceConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return WorkspaceConfig.class;
            }

            @Override
            public String root() {
                return root.toString();
            }

            @Override
            public String[] extraRoots() {
                return new String[0];
            }

            @Override
            public long maxFileBytes() {
                return 1024 * 1024;
            }
        };
    }
}
