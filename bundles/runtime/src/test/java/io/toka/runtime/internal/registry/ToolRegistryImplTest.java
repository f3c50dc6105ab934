package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/** The registry as a live, ranked view of the Tool services in a real framework. */
class ToolRegistryImplTest extends RegistryTestSupport {

    @Test
    void namesAndListAreSortedByName() {
        for (String name : List.of("zeta", "alpha", "mid", "omega", "beta", "0-first")) {
            registerTool(TestTool.answering(name, "1.0.0"));
        }
        startRegistry();

        List<String> expected = List.of("0-first", "alpha", "beta", "mid", "omega", "zeta");
        assertThat(registry.names()).containsExactlyElementsOf(expected);
        assertThat(registry.list()).extracting(RegisteredTool::name).containsExactlyElementsOf(expected);
    }

    @Test
    void listDescribesTheProvidingServiceAndBundle() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "2.3.4");
        ServiceRegistration<Tool> reg = OsgiFramework.register(bundle.getBundleContext(), "greeter",
                TestTool.answering("greeter", "1.5.0"));
        startRegistry();

        RegisteredTool tool = registry.find("greeter").orElseThrow();
        assertThat(tool.descriptor().version()).isEqualTo("1.5.0");
        assertThat(tool.provider()).isEqualTo(
                new ToolProvider(serviceId(reg), 0, bundle.getBundleId(), "com.acme.tools", "2.3.4"));
        assertThat(tool.shadowed()).isEmpty();
        assertThat(registry.find("nobody")).isEmpty();
    }

    @Test
    void servicesComeAndGoLive() throws Exception {
        startRegistry();
        assertThat(registry.names()).isEmpty();

        ServiceRegistration<Tool> a = registerTool(TestTool.answering("a", "1"));
        assertThat(registry.names()).containsExactly("a");
        ServiceRegistration<Tool> b = registerTool(TestTool.answering("b", "1"));
        assertThat(registry.names()).containsExactly("a", "b");
        assertThat(call("b", Map.of()).result().output()).isEqualTo("b 1");

        a.unregister();
        assertThat(registry.names()).containsExactly("b");
        assertThat(registry.find("a")).isEmpty();
        assertThatThrownBy(() -> call("a", Map.of())).isInstanceOf(UnknownToolException.class);

        b.unregister();
        assertThat(registry.names()).isEmpty();
        assertThat(registry.list()).isEmpty();
    }

    @Test
    void newerServiceWinsOnEqualRankingAndTheOlderIsShadowed() throws Exception {
        startRegistry();
        ServiceRegistration<Tool> older = registerTool(TestTool.answering("dup", "1.0.0"));
        ServiceRegistration<Tool> newer = registerTool(TestTool.answering("dup", "2.0.0"));

        assertThat(registry.names()).containsExactly("dup");
        RegisteredTool tool = registry.find("dup").orElseThrow();
        assertThat(tool.provider().serviceId()).isEqualTo(serviceId(newer));
        assertThat(tool.descriptor().version()).isEqualTo("2.0.0");
        assertThat(tool.shadowed()).extracting(ToolProvider::serviceId).containsExactly(serviceId(older));
        assertThat(call("dup", Map.of()).result().output()).isEqualTo("dup 2.0.0");
        assertThat(call("dup", Map.of()).toolVersion()).isEqualTo("2.0.0");

        newer.unregister();
        assertThat(call("dup", Map.of()).result().output()).isEqualTo("dup 1.0.0");
        assertThat(registry.find("dup").orElseThrow().shadowed()).isEmpty();
    }

    @Test
    void higherRankingWinsOverNewer() throws Exception {
        startRegistry();
        ServiceRegistration<Tool> ranked = registerTool(TestTool.answering("dup", "1.0.0"), Constants.SERVICE_RANKING, 5);
        ServiceRegistration<Tool> plain = registerTool(TestTool.answering("dup", "2.0.0"));
        ServiceRegistration<Tool> low = registerTool(TestTool.answering("dup", "3.0.0"), Constants.SERVICE_RANKING, -1);

        RegisteredTool tool = registry.find("dup").orElseThrow();
        assertThat(tool.provider().serviceId()).isEqualTo(serviceId(ranked));
        assertThat(tool.provider().ranking()).isEqualTo(5);
        // shadowed best first: ranking 0 before ranking -1
        assertThat(tool.shadowed()).extracting(ToolProvider::serviceId)
                .containsExactly(serviceId(plain), serviceId(low));
        assertThat(call("dup", Map.of()).result().output()).isEqualTo("dup 1.0.0");
    }

    @Test
    void changingTheRankingReordersLive() throws Exception {
        startRegistry();
        ServiceRegistration<Tool> first = registerTool(TestTool.answering("dup", "1.0.0"));
        ServiceRegistration<Tool> second = registerTool(TestTool.answering("dup", "2.0.0"));
        assertThat(call("dup", Map.of()).result().output()).isEqualTo("dup 2.0.0");

        first.setProperties(OsgiFramework.properties("dup", Constants.SERVICE_RANKING, 10));
        RegisteredTool tool = registry.find("dup").orElseThrow();
        assertThat(tool.provider().serviceId()).isEqualTo(serviceId(first));
        assertThat(tool.provider().ranking()).isEqualTo(10);
        assertThat(tool.shadowed()).extracting(ToolProvider::serviceId).containsExactly(serviceId(second));
        assertThat(call("dup", Map.of()).result().output()).isEqualTo("dup 1.0.0");

        first.setProperties(OsgiFramework.properties("dup", Constants.SERVICE_RANKING, -10));
        assertThat(call("dup", Map.of()).result().output()).isEqualTo("dup 2.0.0");
    }

    @Test
    void servicesWithoutAValidNameAreIgnored() throws Exception {
        startRegistry();
        register(null, TestTool.answering("nameless", "1"));
        register("Not A Name", TestTool.answering("not-a-name", "1"));
        register("", TestTool.answering("empty", "1"));
        register(42, TestTool.answering("number", "1"));
        register(new String[] {"array"}, TestTool.answering("array", "1"));
        registerTool(TestTool.answering("good", "1"));

        assertThat(registry.names()).containsExactly("good");
        assertThat(registry.list()).extracting(RegisteredTool::name).containsExactly("good");
        assertThatThrownBy(() -> call("nameless", Map.of())).isInstanceOf(UnknownToolException.class);
        assertThatThrownBy(() -> call("Not A Name", Map.of())).isInstanceOf(UnknownToolException.class);
    }

    @Test
    void aServiceThatGainsAValidNameAppears() {
        startRegistry();
        ServiceRegistration<Tool> reg = register(null, TestTool.answering("late", "1"));
        assertThat(registry.names()).isEmpty();

        reg.setProperties(OsgiFramework.properties("late"));
        assertThat(registry.names()).containsExactly("late");

        reg.setProperties(OsgiFramework.properties("Bad Name"));
        assertThat(registry.names()).isEmpty();
    }

    @Test
    void aRenamedServiceIsListedUnderItsNewName() throws Exception {
        startRegistry();
        ServiceRegistration<Tool> reg = register("old-name", TestTool.answering("new-name", "1"));

        reg.setProperties(OsgiFramework.properties("new-name"));

        assertThat(registry.names()).containsExactly("new-name");
        assertThat(call("new-name", Map.of()).result().output()).isEqualTo("new-name 1");
        assertThatThrownBy(() -> call("old-name", Map.of())).isInstanceOf(UnknownToolException.class);

        // later events apply to the renamed tool, and unregistering removes it completely
        reg.setProperties(OsgiFramework.properties("new-name", Constants.SERVICE_RANKING, 7));
        assertThat(registry.find("new-name").orElseThrow().provider().ranking()).isEqualTo(7);
        reg.unregister();
        assertThat(registry.names()).isEmpty();
        assertThat(registry.toolsOf(0)).isEmpty();
    }

    @Test
    void aServiceRenamedToAnInvalidNameDisappears() {
        startRegistry();
        ServiceRegistration<Tool> reg = registerTool(TestTool.answering("valid", "1"));

        reg.setProperties(OsgiFramework.properties("In Valid"));

        assertThat(registry.names()).isEmpty();
        assertThat(registry.toolsOf(0)).isEmpty();
    }

    @Test
    void listingDoesNotActivateAToolAndTheServiceIsReleasedWhenItLeaves() throws Exception {
        AtomicInteger gets = new AtomicInteger();
        AtomicInteger ungets = new AtomicInteger();
        ServiceFactory<Tool> factory = new ServiceFactory<>() {
            @Override
            public Tool getService(Bundle bundle, ServiceRegistration<Tool> registration) {
                gets.incrementAndGet();
                return TestTool.answering("lazy", "1");
            }

            @Override
            public void ungetService(Bundle bundle, ServiceRegistration<Tool> registration, Tool service) {
                ungets.incrementAndGet();
            }
        };
        startRegistry();
        ServiceRegistration<Tool> reg = osgi.context().registerService(Tool.class, factory,
                OsgiFramework.properties("lazy"));

        assertThat(registry.names()).containsExactly("lazy");
        assertThat(gets).as("names() must not activate the tool").hasValue(0);

        assertThat(call("lazy", Map.of()).isSuccess()).isTrue();
        assertThat(call("lazy", Map.of()).isSuccess()).isTrue();
        assertThat(gets).as("the service object is obtained once and kept").hasValue(1);

        reg.unregister();
        assertThat(ungets).hasValue(1);
    }

    @Test
    void aToolWhoseDescriptorCannotBeReadIsLeftOutOfTheList() throws Exception {
        Tool broken = new Tool() {
            @Override
            public ToolDescriptor descriptor() {
                return null;
            }

            @Override
            public ToolResult invoke(io.toka.tool.ToolInvocation invocation) {
                return ToolResult.success("unreachable");
            }
        };
        startRegistry();
        register("broken", broken);
        registerTool(TestTool.answering("fine", "1"));

        assertThat(registry.names()).containsExactly("broken", "fine");
        assertThat(registry.list()).extracting(RegisteredTool::name).containsExactly("fine");
        assertThat(registry.find("broken")).isEmpty();
        var result = call("broken", Map.of());
        assertThat(result.isSuccess()).isFalse();
        assertThat(result.result().output()).contains("internal error").doesNotContain("unreachable");
    }

    @Test
    void deactivateReleasesServicesAndMayBeCalledTwice() throws Exception {
        AtomicInteger ungets = new AtomicInteger();
        osgi.context().registerService(Tool.class, new ServiceFactory<Tool>() {
            @Override
            public Tool getService(Bundle bundle, ServiceRegistration<Tool> registration) {
                return TestTool.answering("t", "1");
            }

            @Override
            public void ungetService(Bundle bundle, ServiceRegistration<Tool> registration, Tool service) {
                ungets.incrementAndGet();
            }
        }, OsgiFramework.properties("t"));
        startRegistry();
        assertThat(call("t", Map.of()).isSuccess()).isTrue();

        registry.deactivate();
        assertThat(ungets).hasValue(1);
        registry.deactivate();
        assertThat(ungets).hasValue(1);
    }
}
