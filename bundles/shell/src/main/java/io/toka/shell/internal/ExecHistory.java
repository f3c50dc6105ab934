package io.toka.shell.internal;

import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code toka:exec-history}: the most recent executions, newest first. */
@Command(scope = "toka", name = "exec-history", description = "Lists the most recent executions, newest first")
@Service
public class ExecHistory implements Action {

    @Reference
    RuntimeManager runtime;

    @Reference
    ShellSecurity security;

    @Option(name = "--limit", aliases = "-n", description = "At most this many (1-1000, default 20)")
    int limit = 20;

    @Override
    public Object execute() {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("--limit must be 1 to 1000, not " + limit);
        }
        security.currentUser().authorize("execution.history", List.of("execution:read"));
        ShellTable table = new ShellTable();
        table.column("Id");
        table.column("Started");
        table.column("Subject");
        table.column("Model");
        table.column("Target");
        table.column("Result");
        table.column("Ms");
        table.column("Engine");
        table.column("Output / error").maxSize(50);
        for (ExecutionRecord r : runtime.history(limit)) {
            String text = r.result().success() ? r.result().output() : r.result().error();
            table.addRow().addContent(r.result().id(), r.startedAt(), r.subject(), r.model(), r.target(),
                    r.result().success() ? "ok" : "failed", r.result().durationMs(),
                    r.result().engine() + " " + r.result().engineVersion(),
                    text == null ? "" : text.strip().replace('\n', ' '));
        }
        table.print(System.out);
        return null;
    }
}
