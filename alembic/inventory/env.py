from services.inventory.models import Base
from shared import migrations

migrations.run("inventory", Base.metadata)
