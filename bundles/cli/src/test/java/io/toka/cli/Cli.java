package io.toka.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Runs {@link Main#run} in this JVM and keeps what it printed. */
record Cli(int status, String out, String err) {

    static Cli run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The environment of a client talking to the fake with its token, plus {@code more} (key, value, ...). */
    static Map<String, String> env(FakeToka toka, String... more) {
        Map<String, String> env = new HashMap<>();
        env.put("TOKA_URL", toka.url());
        env.put("TOKA_TOKEN", toka.token);
        for (int i = 0; i < more.length; i += 2) {
            if (more[i + 1] == null) {
                env.remove(more[i]);
            } else {
                env.put(more[i], more[i + 1]);
            }
        }
        return env;
    }
}
