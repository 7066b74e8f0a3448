"""The acknowledgement settings of an inbox. Inboxes that existed before get it switched off (their
customers were never told to expect one, and an upgrade must not start sending mail by itself); new
inboxes get it switched on."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inboxes", "0004_canary_and_dead_zone_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="inbox",
            name="ack_enabled",
            field=models.BooleanField(default=False, verbose_name="send an acknowledgement"),
        ),
        migrations.AlterField(
            model_name="inbox",
            name="ack_enabled",
            field=models.BooleanField(default=True, verbose_name="send an acknowledgement"),
        ),
        migrations.AddField(
            model_name="inbox",
            name="ack_how_en",
            field=models.TextField(blank=True, default="", verbose_name="how we work (English)"),
        ),
        migrations.AddField(
            model_name="inbox",
            name="ack_how_id",
            field=models.TextField(blank=True, default="", verbose_name="how we work (Indonesian)"),
        ),
    ]
