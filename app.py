"""Assemble the application: config, extensions, blueprints, CLI groups, feature wiring."""
import os
from pathlib import Path

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEFAULT_SECRET_KEY, INSTANCE_DIR, Config
from core import backup, database, demo, errors, logs, security, signals, templating
from core.extensions import csrf, db, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["CERTIFICATE_CACHE"]:
        app.config["CERTIFICATE_CACHE"] = os.path.join(app.instance_path, "certificates")
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "hoctap.db")
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (app.debug or app.testing):
        message = ("Chưa có SECRET_KEY: đặt biến môi trường SECRET_KEY hoặc ghi một khóa ngẫu nhiên vào "
                   f"{os.path.join(app.instance_path, 'secret_key')} (README, mục Production).")
        if click.get_current_context(silent=True) is not None:
            raise SystemExit(message)  # a `flask` command: one line, no traceback
        raise RuntimeError(message)
    if app.config["PROXY_COUNT"]:
        # Behind nginx every request comes from 127.0.0.1: without this, one person's failed
        # logins would lock everyone out, and Secure cookies would not know the request was HTTPS.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    db.init_app(app)
    database.register(app)
    # Batch operations: SQLite cannot alter a table in place, so autogenerate writes them for both databases.
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"

    errors.register(app)
    security.register(app)
    templating.register(app)

    from accounts import audit_views, token_views
    from accounts import cli as accounts_cli
    from accounts import views as accounts_views
    from certificates import cli as certificates_cli
    from certificates import demo as certificates_demo
    from certificates import views as certificates_views
    from contests import demo as contests_demo
    from contests import organiser_views
    from contests import views as contests_views
    from core import views as core_views
    from lamtheo import demo as lamtheo_demo
    from lamtheo import story_demo, story_views
    from lamtheo import views as lamtheo_views
    from learning import cli as learning_cli
    from learning import demo as learning_demo
    from learning import editor_views, offline_views, study_session_views
    from learning import views as learning_views
    from quizzes import cli as quizzes_cli
    from quizzes import demo as quizzes_demo
    from quizzes import stats_views as quiz_stats_views
    from quizzes import views as quizzes_views
    from reports import api as reports_api
    from reports import cli as reports_cli
    from reports import demo as reports_demo
    from reports import submission_demo, submission_views
    from reports import views as reports_views
    from units import cli as units_cli
    from units import demo as units_demo
    from units import demo_guard, headcount_views
    from units import views as units_views

    app.register_blueprint(core_views.bp)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(token_views.bp)
    app.register_blueprint(units_views.bp)
    app.register_blueprint(headcount_views.bp)
    app.register_blueprint(learning_views.bp)
    app.register_blueprint(offline_views.bp)
    app.register_blueprint(quizzes_views.bp)
    app.register_blueprint(quiz_stats_views.bp)
    app.register_blueprint(editor_views.bp)
    app.register_blueprint(study_session_views.bp)
    app.register_blueprint(certificates_views.bp)
    app.register_blueprint(contests_views.bp)
    app.register_blueprint(organiser_views.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(submission_views.bp)
    app.register_blueprint(reports_api.bp)
    app.register_blueprint(lamtheo_views.bp)
    app.register_blueprint(story_views.bp)
    accounts_views.register_hooks(app)

    app.cli.add_command(units_cli.units_cli)
    app.cli.add_command(units_cli.members_cli)
    app.cli.add_command(learning_cli.content_cli)
    app.cli.add_command(quizzes_cli.quizzes_cli)
    app.cli.add_command(certificates_cli.certificates_cli)
    app.cli.add_command(accounts_cli.api_token_cli)
    app.cli.add_command(accounts_cli.users_cli)
    app.cli.add_command(reports_cli.reports_cli)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(demo.seed_demo_command(
        seeders=[units_demo.seed, learning_demo.seed, quizzes_demo.seed, certificates_demo.seed, contests_demo.seed,
                 reports_demo.seed, submission_demo.seed, lamtheo_demo.seed,
                 story_demo.seed],
        refusals=[demo_guard.real_data_reason]))
    logs.configure(app)  # after the commands: each leaves a line when it ends
    _connect_features()
    return app


def _connect_features() -> None:
    """Connect each signal of core/signals.py to the feature that answers or acts on it (the list and
    what each carries: docs/DEVELOPING.md section 2). Connecting twice (a second app) changes nothing."""
    from certificates import services as certificates_services
    from contests import boards as contests_boards
    from contests import services as contests_services
    from contests import views as contests_views
    from lamtheo import review as lamtheo_review
    from learning import topics as learning_topics
    from quizzes import services as quizzes_services
    from reports import progress as reports_progress
    from units import member_accounts
    from units import tree as unit_tree

    connections = [
        # Events
        # a completed topic earns its certificate
        (signals.topic_completed, certificates_services.issue_for_completion),
        (signals.attempt_finished, reports_progress.on_attempt_finished),  # reports keep member_topics current
        (signals.attempt_finished, contests_boards.on_attempt_finished),  # contests keep standings current
        (signals.members_moved, reports_progress.on_members_moved),
        (signals.unit_created, learning_topics.on_unit_created),  # a topic waits for its federation's unit
        # Questions
        (signals.login_user, member_accounts.user_for_identifier),  # members log in by phone or card number
        (signals.unit_by_code, unit_tree.get_unit),
        (signals.final_quiz, quizzes_services.final_quiz),
        (signals.topic_panels, quizzes_services.topic_panels),
        (signals.topic_panels, certificates_services.topic_panels),
        (signals.attempt_extras, contests_views.attempt_extras),  # rounds run on the attempt engine
        (signals.review_withheld, contests_services.withheld_questions),
        (signals.answer_key_hidden, contests_services.answer_key_hidden),
        (signals.home_redirect, contests_views.contestant_home),  # a contestant lands on their contests
        (signals.home_panels, contests_services.home_panels),
        (signals.navigation, contests_services.navigation),
        (signals.report_columns, lamtheo_review.report_columns),  # the year's làm-theo figures in the report
    ]
    for signal, receiver in connections:
        signal.connect(receiver)
