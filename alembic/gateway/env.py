from gateway.models import Base
from shared import migrations

migrations.run("gateway", Base.metadata)
