package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.security.AccessDeniedException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Delegation never widens: along any chain of delegations, whatever a child is permitted, its parent is permitted
 * too. Permissions and probes are drawn from a small alphabet so that implications (and refusals) are frequent.
 */
class DelegationPropertyTest {

    private static final List<String> PARTS = List.of("tool", "token", "key", "invoke", "read", "file-reader",
            "shell", "*");

    private static Path dir;
    private static TestAuthority t;

    @BeforeContainer
    static void start() throws IOException {
        dir = Files.createTempDirectory("toka-delegation-property");
        t = new TestAuthority(dir);
    }

    @AfterContainer
    static void stop() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One delegation step: some of the parent's own permissions plus some arbitrary candidates. */
    record Step(List<Integer> fromParent, List<String> candidates) {
    }

    @Provide
    Arbitrary<String> permission() {
        Arbitrary<String> single = Arbitraries.of(PARTS);
        Arbitrary<String> withSubparts = single.list().ofMinSize(2).ofMaxSize(3).uniqueElements()
                .map(l -> String.join(",", l));
        Arbitrary<String> part = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, single), net.jqwik.api.Tuple.of(1, withSubparts));
        return part.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(":", l));
    }

    @Provide
    Arbitrary<List<String>> permissionSet() {
        return permission().list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<List<String>> probes() {
        return permission().list().ofMinSize(5).ofMaxSize(20);
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 9).list().ofMaxSize(3),
                permission().list().ofMaxSize(2))
                .as(Step::new)
                .filter(s -> !s.fromParent().isEmpty() || !s.candidates().isEmpty());
        return step.list().ofMinSize(1).ofMaxSize(5);
    }

    @Property(tries = 300)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF) // the coverage checks below still apply
    void aChildIsNeverPermittedWhatItsParentIsNot(
            @ForAll("permissionSet") List<String> rootPermissions,
            @ForAll("steps") List<Step> steps,
            @ForAll("probes") List<String> probes) throws Exception {
        IssuedToken root = t.authority.issue(t.shellAdmin(), new TokenRequest("root-holder", null, rootPermissions, null));
        SecurityContext parent = t.authority.authenticate(root.token());
        List<String> parentPermissions = root.claims().permissions();
        int delegated = 0;
        int refused = 0;

        for (Step step : steps) {
            Set<String> requested = new LinkedHashSet<>();
            for (int i : step.fromParent()) {
                requested.add(parentPermissions.get(i % parentPermissions.size()));
            }
            requested.addAll(step.candidates());
            boolean allHeld = requested.stream().allMatch(parent::isPermitted);
            IssuedToken child;
            try {
                child = t.authority.delegate(parent,
                        new DelegationRequest("child-" + delegated, List.copyOf(requested), null, null, null));
            } catch (AccessDeniedException e) {
                // refused: the named permission really is not held, and the chain stays where it is
                assertThat(parent.isPermitted(e.permission())).as("refused %s", e.permission()).isFalse();
                assertThat(requested).contains(e.permission());
                refused++;
                continue;
            }
            assertThat(allHeld).as("delegated %s from %s", requested, parentPermissions).isTrue();
            SecurityContext childCtx = t.authority.authenticate(child.token());
            List<String> allProbes = new ArrayList<>(probes);
            allProbes.addAll(requested); // a widening delegation would be caught on its own permissions
            allProbes.addAll(parentPermissions);
            for (String probe : allProbes) {
                if (childCtx.isPermitted(probe)) {
                    assertThat(parent.isPermitted(probe))
                            .as("child %s permits %s but parent %s does not", child.claims().permissions(), probe,
                                    parentPermissions)
                            .isTrue();
                }
            }
            assertThat(child.claims().depth()).isEqualTo(parent.token().orElseThrow().depth() + 1);
            parent = childCtx;
            parentPermissions = child.claims().permissions();
            delegated++;
        }

        Statistics.label("delegations").collect(delegated == 0 ? "none" : delegated == 1 ? "one" : "several");
        Statistics.label("refusals").collect(refused > 0);
        Statistics.label("delegations").coverage(c -> {
            c.check("none").percentage(p -> p < 40);
            c.check("several").percentage(p -> p > 20);
        });
        Statistics.label("refusals").coverage(c -> c.check(true).percentage(p -> p > 20));
    }
}
